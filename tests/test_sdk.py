"""The official `uphunt` SDK against a live mock (issues 2 and 3). Being written."""
