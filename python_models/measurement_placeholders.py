"""Measurements -> placeholder tokens before the model, and back after it.

A small seq2seq model copies a one-token placeholder (``<n3>``) far more reliably than a
digit-by-digit number and its unit: the demo model copied only ~36% of measurements exactly when
it had to spell them, so its inputs carry ``<nK>`` in place of each whole measurement ("7 mm",
"2.1 x 1.4 cm") and postprocess puts the measurement back. Exactness then no longer depends on
the model: a measurement can only come out as it went in (in one canonical spelling).
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
# A whole measurement: "8 mm", "1.2 x 0.9 cm", "5.1 x 4.1 x 3 cm" (not "T2" or "L4-L5").
_MEASUREMENT = re.compile(
    rf"(?<![\d.])(?<![A-WYZa-wyz_]){_VALUE}(?:\s*[x\u00d7]\s*{_VALUE})*\s*(?:mm|cm)\b", re.I
)
# The tokenizer decodes punctuation after an added token with a space ("<n0> ."): eat it.
_PLACEHOLDER = re.compile(r"<n(\d+)>(?:\s+(?=[.,;:)\]]))?")
_LITERAL_PLACEHOLDER = re.compile(r"<(n\d+>)")
UNRESOLVED = "[?]"


def canonical_measurement(text: str) -> str:
    """One spelling per measurement: "2.1X1.4CM" -> "2.1 x 1.4 cm", "7mm" -> "7 mm"."""
    text = re.sub(r"\s*[x\u00d7]\s*", " x ", text.lower())
    return re.sub(r"(\d)\s*(mm|cm)$", r"\1 \2", text)


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


def measurement_spans(text: str) -> list[tuple[int, int]]:
    """Where each whole measurement ("2.1 x 1.4 cm", "7 mm") lies in ``text``."""
    return [m.span() for m in _MEASUREMENT.finditer(text)]


def mask_measurements(text: str) -> tuple[str, list[str]]:
    """Replace each measurement with ``<nK>`` (K by first appearance; a repeated measurement
    reuses its placeholder). Returns the masked text and the canonical measurements in K order.
    Text that already holds something shaped like a placeholder is defused first, so user text can
    never address a slot. Measurements beyond PLACEHOLDER_COUNT distinct ones stay literal."""
    text = _LITERAL_PLACEHOLDER.sub(r"< \1", text)
    values: list[str] = []

    def swap(match: re.Match[str]) -> str:
        value = canonical_measurement(match.group(0))
        if value in values:
            return placeholder(values.index(value))
        if len(values) >= PLACEHOLDER_COUNT:
            return match.group(0)
        values.append(value)
        return placeholder(len(values) - 1)

    return _MEASUREMENT.sub(swap, text), values


def model_text(text: str, uses_placeholders: bool) -> tuple[str, list[str] | None]:
    """What the model sees for ``text``: masked, with its measurements, when the model uses
    placeholders; the text itself and None otherwise (preprocess and eval share this)."""
    return mask_measurements(text) if uses_placeholders else (text, None)


def mask_target(text: str, values: Sequence[str]) -> str:
    """Mask a training target with the source's slots: only measurements the source holds are
    masked (one the source lacks stays literal, so the model never learns to invent a slot)."""
    text = _LITERAL_PLACEHOLDER.sub(r"< \1", text)

    def swap(match: re.Match[str]) -> str:
        value = canonical_measurement(match.group(0))
        return placeholder(values.index(value)) if value in values else match.group(0)

    return _MEASUREMENT.sub(swap, text)


def unmask(text: str, values: Sequence[str]) -> tuple[str, int]:
    """Put the measurements back. Returns the text and how many placeholders named none (written
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
