"""What report_check says of a findings/impression pair, for the reading tests: code -> severity."""

from __future__ import annotations

from python_models.safety.checks import CheckContext, run_checks


def severities(findings: str, impression: str, exam: str | None = None) -> dict[str, str]:
    """The warnings report_check gives (lexicon checks and the generic reading), by code."""
    found = run_checks(findings, impression, CheckContext(exam=exam), read_wording=True)
    return {w["code"]: w["severity"] for w in found}
