"""What postprocess receives with each row, checked before use, and what it hands on.

The context comes as JSON from preprocess (or from a direct caller of the model): its keys and
types are checked here, and messages name keys and types only, never the values (patient text).
`Draft` carries what every step may read besides the text, including the one reading of the
report (`Draft.doc`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from python_models.candidates import MAX_CANDIDATES, split_candidates
from python_models.measurement_placeholders import SLOT_KINDS
from python_models.pipeline_warnings import Warning_
from python_models.reading.doc import ReportDoc, read_report
from python_models.request_fields import InvalidRequest

Check = Callable[[str], list[Warning_]]


@dataclass(frozen=True)
class Finished:
    impression: str
    warnings: list[Warning_]
    candidate: int = 0  # which of the generator's candidates was kept (0 = the model's best)


@dataclass(frozen=True)
class Draft:
    """What every edit may read besides the text: the request's context, the check of the
    report's findings (None when it could not be built; the edits that need it then step
    aside) and the served candidate's check warnings when the candidate choice ran them."""

    context: dict[str, Any]
    check: Check | None
    found: list[Warning_] | None = None

    @functools.cached_property
    def doc(self) -> ReportDoc:
        """The one reading of the report (`python_models.reading`), built when a step first
        asks for it and shared by every step after it that reads the findings (critical
        completion, item grounding, pertinent negatives, the findings gate, diagnosis naming)."""
        return read_report(self.context.get("findings") or "", self.context.get("exam"))


_CONTEXT_TEXT_KEYS = (
    "radiologist_id",
    "exam",
    "patient_sex",
    "findings",
    "comparison",
    "indication",
)


def validate_context(context: Any) -> dict[str, Any]:
    """Check the JSON context preprocess produced (or a direct caller sent) before using it.

    Messages name keys and types only: the values are patient text.
    """
    if not isinstance(context, dict):
        raise InvalidRequest("CONTEXT must be a JSON object")
    for key in _CONTEXT_TEXT_KEYS:
        if context.get(key) is not None and not isinstance(context[key], str):
            raise InvalidRequest(f"CONTEXT.{key} must be a string or null")
    age = context.get("patient_age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool)):
        raise InvalidRequest("CONTEXT.patient_age must be an integer or null")
    for kind in SLOT_KINDS:
        values = context.get(kind.context_key)
        if values is not None and (
            not isinstance(values, list) or not all(isinstance(v, str) for v in values)
        ):
            raise InvalidRequest(f"CONTEXT.{kind.context_key} must be a list of strings")
    warnings = context.get("warnings", [])
    if not isinstance(warnings, list) or not all(
        isinstance(w, dict)
        and isinstance(w.get("code"), str)
        and isinstance(w.get("severity"), str)
        for w in warnings
    ):
        raise InvalidRequest("CONTEXT.warnings must be a list of {code, severity, message}")
    return context


def validate_ids(
    ids: Sequence[int],
    vocab_size: int,
    eos_token_id: int | None = None,
    pad_token_id: int | None = None,
) -> list[int]:
    """Generated ids must index the tokenizer's vocabulary and hold at most MAX_CANDIDATES
    eos-separated candidates (a direct caller may send anything; each candidate costs a decode
    and a run of the checks)."""
    values = [int(i) for i in ids]
    if values and (min(values) < 0 or max(values) >= vocab_size):
        raise InvalidRequest(f"OUTPUT_IDS must lie in [0, {vocab_size})")
    if eos_token_id is not None:
        count = len(split_candidates(values, eos_token_id, pad_token_id))
        if count > MAX_CANDIDATES:
            raise InvalidRequest(
                f"an OUTPUT_IDS row holds {count} eos-separated candidates; "
                f"at most {MAX_CANDIDATES}"
            )
    return values
