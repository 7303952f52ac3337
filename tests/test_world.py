"""The default world and world files (issue 2). Being written."""
