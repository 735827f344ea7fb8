"""Deterministic safety checks on impressions (see docs/safety.md for the codes)."""

from python_models.safety.checks import CODES, CheckContext, run_checks, run_checks_for_context

__all__ = ["CODES", "CheckContext", "run_checks", "run_checks_for_context"]
