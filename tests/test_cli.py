"""`uphunt-mock serve` as a subprocess (issue 2). Being written."""
