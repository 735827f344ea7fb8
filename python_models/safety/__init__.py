"""Deterministic safety checks on impressions."""
