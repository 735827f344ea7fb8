"""Importable logic of the impression pipeline (no Triton imports, unit-testable)."""
