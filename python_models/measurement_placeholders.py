"""Measurement values -> placeholder tokens before the model, and back after it.

A small seq2seq model copies a one-token placeholder (``<n3>``) far more reliably than a
digit-by-digit number: the demo model copied only ~36% of measurements exactly when it had to
spell them, so its inputs carry ``<nK>`` in place of each measured value and postprocess puts the
value back. Exactness then no longer depends on the model: a value can only come out as it went in.
The same functions prepare training data (export/train.py), serving (preprocess / postprocess) and
evaluation, so all three see one format. A tokenizer without the ``<n0>`` token (a model brought
by a user) is served with plain text: :func:`tokenizer_uses_placeholders` decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

PLACEHOLDER_COUNT = 24
_VALUE = r"\d+(?:\.\d+)?"
# A number that is part of a measurement: "8 mm", "1.2 x 0.9 cm", "5.1 x 4.1 x 3 cm".
_MEASURED_NUMBER = re.compile(
    rf"(?<![\d.])(?<![A-WYZa-wyz_]){_VALUE}(?=(?:\s*[x\u00d7]\s*{_VALUE})*\s*(?:mm|cm)\b)", re.I
)
_PLACEHOLDER = re.compile(r"<n(\d+)>")
_LITERAL_PLACEHOLDER = re.compile(r"<(n\d+>)")
UNRESOLVED = "[?]"


def placeholder(index: int) -> str:
    return f"<n{index}>"


def placeholder_tokens() -> list[str]:
    """The tokens a placeholder-aware tokenizer must hold (added as normal, not special, tokens
    so that `decode(..., skip_special_tokens=True)` keeps them)."""
    return [placeholder(i) for i in range(PLACEHOLDER_COUNT)]


def tokenizer_uses_placeholders(tokenizer: Any) -> bool:
    """Whether the tokenizer (and hence its model) was trained with placeholders."""
    try:
        vocab = tokenizer.get_vocab()
    except AttributeError:
        return False
    return placeholder(0) in vocab and placeholder(PLACEHOLDER_COUNT - 1) in vocab


def mask_measurements(text: str) -> tuple[str, list[str]]:
    """Replace each measured value with ``<nK>`` (K by first appearance; a repeated value reuses
    its placeholder). Returns the masked text and the values in K order. Text that already holds
    something shaped like a placeholder is defused first, so user text can never address a slot.
    Values beyond PLACEHOLDER_COUNT distinct ones stay literal."""
    text = _LITERAL_PLACEHOLDER.sub(r"< \1", text)
    values: list[str] = []

    def swap(match: re.Match[str]) -> str:
        value = match.group(0)
        if value in values:
            return placeholder(values.index(value))
        if len(values) >= PLACEHOLDER_COUNT:
            return value
        values.append(value)
        return placeholder(len(values) - 1)

    return _MEASURED_NUMBER.sub(swap, text), values


def mask_target(text: str, values: Sequence[str]) -> str:
    """Mask a training target with the source's slots: only values the source holds are masked
    (a value the source lacks stays literal, so the model never learns to invent a slot)."""
    text = _LITERAL_PLACEHOLDER.sub(r"< \1", text)

    def swap(match: re.Match[str]) -> str:
        value = match.group(0)
        return placeholder(values.index(value)) if value in values else value

    return _MEASURED_NUMBER.sub(swap, text)


def unmask(text: str, values: Sequence[str]) -> tuple[str, int]:
    """Put the values back. Returns the text and how many placeholders named no value (written
    as ``[?]`` so a reader sees the gap; the caller raises a warning)."""
    unresolved = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal unresolved
        index = int(match.group(1))
        if index < len(values):
            return values[index]
        unresolved += 1
        return UNRESOLVED

    return _PLACEHOLDER.sub(swap, text), unresolved
