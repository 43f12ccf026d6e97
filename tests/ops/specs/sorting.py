"""Specs of dualnet/ops/sorting.py."""
SPECS: list = []
