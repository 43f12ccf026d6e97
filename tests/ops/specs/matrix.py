"""Specs of dualnet/ops/matrix.py."""
SPECS: list = []
