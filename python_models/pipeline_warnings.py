"""The warning record every stage returns: `{code, severity, message}` (checks add `spans`).

Messages are fixed wording plus counts, never report text, so warnings are safe to log.
"""

from __future__ import annotations

from typing import Any

Warning_ = dict[str, Any]


def warning(
    code: str, severity: str, message: str, spans: list[dict[str, Any]] | None = None
) -> Warning_:
    """One pipeline warning (severity "block" or "warn"), with the ``spans`` it points at
    when given."""
    out: Warning_ = {"code": code, "severity": severity, "message": message}
    if spans is not None:
        out["spans"] = spans
    return out
