"""The warning record every stage returns: `{code, severity, message}` (checks add `spans`).

Messages are fixed wording plus counts, never report text, so warnings are safe to log.
"""

from __future__ import annotations

from typing import Any

Warning_ = dict[str, Any]


def warning(code: str, severity: str, message: str) -> Warning_:
    """One pipeline warning (severity "block" or "warn")."""
    return {"code": code, "severity": severity, "message": message}
