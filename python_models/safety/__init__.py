"""Deterministic safety checks on impressions (see docs/safety.md for the codes)."""

from python_models.safety.checks import (
    CODES,
    CheckContext,
    FindingsChecker,
    checker_for_context,
    run_checks,
    run_checks_for_context,
)

__all__ = [
    "CODES",
    "CheckContext",
    "FindingsChecker",
    "checker_for_context",
    "run_checks",
    "run_checks_for_context",
]
