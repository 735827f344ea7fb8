"""The exam in front of the findings, for a model trained to read it.

A model that sees only the findings cannot know which region's normal phrase to use or what a
chest film's words mean next to a pelvic ultrasound's. A model trained with the exam reads
``<exam> CT CHEST WITHOUT CONTRAST <findings> ...``; without an exam (a caller need not send
one) the slot stays empty: ``<exam> <findings> ...``. The two markers are normal tokens of its
tokenizer, so a checkpoint carries its own input format: :func:`tokenizer_reads_exam` decides,
and a model brought without them (the earlier demo stages, a user's summarizer) is served the
findings alone. Training (export/train.py), serving (preprocess) and evaluation build the text
here, so all three see one format.
"""

from __future__ import annotations

from typing import Any

EXAM_TOKEN = "<exam>"
FINDINGS_TOKEN = "<findings>"
MAX_EXAM_CHARS = 120  # an exam description, not a report


def exam_tokens() -> list[str]:
    """The tokens an exam-reading tokenizer holds (normal, not special, tokens)."""
    return [EXAM_TOKEN, FINDINGS_TOKEN]


def tokenizer_reads_exam(tokenizer: Any) -> bool:
    """Whether the tokenizer (and hence its model) was trained with the exam in front."""
    try:
        vocab = tokenizer.get_vocab()
    except AttributeError:
        return False
    return all(token in vocab for token in exam_tokens())


def with_exam(findings: str, exam: str | None) -> str:
    """``findings`` (already normalised) behind the exam slot; an empty slot without an exam."""
    described = " ".join((exam or "").split())[:MAX_EXAM_CHARS]
    slot = f"{EXAM_TOKEN} {described} " if described else f"{EXAM_TOKEN} "
    return f"{slot}{FINDINGS_TOKEN} {findings}"
