"""Report text -> model input ids, one batch at a time.

Sections are parsed, the FINDINGS are normalised into the exact text format the model was
trained on (`model_input_text`, shared with export/train.py), and all valid reports of a batch
are tokenized in ONE tokenizer call. For a placeholder-aware tokenizer (the demo model's) measured
values become ``<nK>`` tokens (and spinal levels ``<lK>``, for a tokenizer that holds those) and
travel to postprocess in the context (`python_models.measurement_placeholders`); for an
exam-reading one the exam goes in front (`python_models.exam_input`). Each report is validated
on its own so one bad report only fails itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Protocol

from python_models.exam_input import tokenizer_reads_exam, with_exam
from python_models.measurement_placeholders import model_text, slot_kinds_of
from python_models.pipeline_warnings import Warning_, warning
from python_models.request_fields import (
    DEFAULT_MAX_REPORT_BYTES,
    InvalidRequest,
    RequestContext,
    decode_report_text,
    decode_text,
    parse_context,
)
from python_models.sections import parse_sections

DEFAULT_MAX_INPUT_TOKENS = 384


class Tokenizer(Protocol):
    """The part of a transformers fast tokenizer that preprocessing needs."""

    def __call__(self, texts: list[str], **kwargs: Any) -> Any: ...


def normalise_text(text: str) -> str:
    """Unicode NFC, unified dashes/quotes, collapsed whitespace: the same text in, same ids out."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


def model_input_text(findings: str) -> str:
    """The FINDINGS text the model sees, normalised; a model trained to read the exam gets it
    in front (`python_models.exam_input`), an optional slot, since a caller may not send one."""
    return normalise_text(findings)


@dataclass(frozen=True)
class RawReport:
    """One request's inputs as they arrive (BYTES elements or None when not sent)."""

    report_text: bytes | str | None
    radiologist_id: bytes | str | None = None
    exam: bytes | str | None = None
    patient_sex: bytes | str | None = None
    patient_age: bytes | str | None = None


@dataclass
class PreparedReport:
    """Model inputs for one report plus the context postprocess needs (travels as JSON)."""

    input_ids: list[int]
    context: dict[str, Any] = field(default_factory=dict)


class Preprocessor:
    """Validates, parses and tokenizes batches of reports."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS,
        max_report_bytes: int = DEFAULT_MAX_REPORT_BYTES,
    ) -> None:
        if max_input_tokens < 8:
            raise ValueError("max_input_tokens must be at least 8")
        if max_report_bytes < 1:
            raise ValueError("max_report_bytes must be positive")
        self.tokenizer = tokenizer
        if hasattr(tokenizer, "model_max_length"):  # we truncate ourselves; silence its warning
            tokenizer.model_max_length = 1 << 30
        self.max_input_tokens = max_input_tokens
        self.max_report_bytes = max_report_bytes
        self.slot_kinds = slot_kinds_of(tokenizer)  # measurements, levels: what it copies
        self.reads_exam = tokenizer_reads_exam(tokenizer)

    def _validate(self, raw: RawReport) -> tuple[str, RequestContext, dict[str, str]]:
        text = decode_report_text(raw.report_text, self.max_report_bytes)
        context = parse_context(
            decode_text(raw.radiologist_id, "radiologist_id"),
            decode_text(raw.exam, "exam"),
            decode_text(raw.patient_sex, "patient_sex"),
            decode_text(raw.patient_age, "patient_age"),
        )
        sections = parse_sections(text).as_dict()
        if not sections["findings"].strip():
            raise InvalidRequest(
                "report_text has no FINDINGS text (send the findings, with or without a header)"
            )
        return model_input_text(sections["findings"]), context, sections

    def prepare(self, batch: list[RawReport]) -> list[PreparedReport | InvalidRequest]:
        """Prepare every report of a batch; invalid ones come back as their InvalidRequest."""
        results: list[PreparedReport | InvalidRequest] = []
        texts: list[str] = []
        pending: list[tuple[int, RequestContext, dict[str, str], dict[str, list[str]]]] = []
        for index, raw in enumerate(batch):
            try:
                text, context, sections = self._validate(raw)
            except InvalidRequest as exc:
                results.append(exc)
                continue
            results.append(PreparedReport(input_ids=[]))
            text, slotted = model_text(text, self.slot_kinds)
            if self.reads_exam:  # the exam in front, for a model trained with it
                text = with_exam(text, context.exam or sections["exam"] or None)
            texts.append(text)
            pending.append((index, context, sections, slotted))
        if not texts:
            return results
        encoded = self.tokenizer(texts, truncation=False, add_special_tokens=True)["input_ids"]
        for (index, context, sections, slotted), ids in zip(pending, encoded, strict=True):
            warnings: list[Warning_] = []
            if len(ids) > self.max_input_tokens:
                message = (
                    f"findings were {len(ids)} tokens; only the first "
                    f"{self.max_input_tokens} were summarized"
                )
                warnings.append(warning("INPUT_TRUNCATED", "warn", message))
                ids = list(ids[: self.max_input_tokens - 1]) + [ids[-1]]
            exam = context.exam or sections["exam"] or None
            prepared = PreparedReport(
                input_ids=list(ids),
                context={
                    "radiologist_id": context.radiologist_id,
                    "exam": exam,
                    "patient_sex": context.patient_sex,
                    "patient_age": context.patient_age,
                    "findings": sections["findings"],
                    "comparison": sections["comparison"] or None,
                    "indication": sections["indication"] or None,
                    "warnings": warnings,
                },
            )
            # the values postprocess puts back for <n0>, <n1>, ... and <l0>, ...
            prepared.context.update(slotted)
            results[index] = prepared
        return results
