"""Measurements -> placeholder tokens before the model, and back after it.

A small seq2seq model copies a one-token placeholder (``<n3>``) far more reliably than a
digit-by-digit number and its unit: the demo model copied only ~36% of measurements exactly when
it had to spell them, so its inputs carry ``<nK>`` in place of each whole measurement ("7 mm",
"2.1 x 1.4 cm") and postprocess puts the measurement back. Exactness then no longer depends on
the model: a measurement can only come out as it went in (in one canonical spelling).
The same functions prepare training data (export/train.py), serving (preprocess / postprocess) and
evaluation, so all three see one format. A tokenizer without the ``<n0>`` token (a model brought
by a user) is served with plain text: :func:`tokenizer_uses_placeholders` decides.

Spinal levels are the second kind of slot (``<lK>`` for "L4-L5", "T11"; :data:`LEVELS`): the demo
model wrote 45 of 120 synthetic level-bearing impressions with every level right when it had to
spell them. Each kind is gated by its own tokens, so a checkpoint trained before levels had slots
is served with its levels as text (and `item_grounding` holds them to the findings). A slot makes
a value exact, not its place: a CPU stage trained with level slots put them at the right finding
in 37 of 120 (model card, stage 15), so the grounding stays what keeps levels right.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from python_models.reading.levels import LEVEL_RE, canonical_level

PLACEHOLDER_COUNT = 24
_VALUE = r"\d+(?:\.\d+)?"
# A whole measurement: "8 mm", "1.2 x 0.9 cm", "5.1 x 4.1 x 3 cm" (not "T2" or "L4-L5").
_MEASUREMENT = re.compile(
    rf"(?<![\d.])(?<![A-WYZa-wyz_]){_VALUE}(?:\s*[x\u00d7]\s*{_VALUE})*\s*(?:mm|cm)\b", re.I
)
# The tokenizer decodes punctuation after an added token with a space ("<n0> ."): eat it.
_PLACEHOLDER = r"<{prefix}(\d+)>(?:\s+(?=[.,;:)\]]))?"
# Text shaped like any kind's slot, defused before masking so user text never addresses one.
_LITERAL_PLACEHOLDER = re.compile(r"<([nl]\d+>)")
UNRESOLVED = "[?]"


def canonical_measurement(text: str) -> str:
    """One spelling per measurement: "2.1X1.4CM" -> "2.1 x 1.4 cm", "7mm" -> "7 mm"."""
    text = re.sub(r"\s*[x\u00d7]\s*", " x ", text.lower())
    return re.sub(r"(\d)\s*(mm|cm)$", r"\1 \2", text)


@dataclass(frozen=True)
class SlotKind:
    """One kind of value the model copies as a slot token ``<{prefix}K>``."""

    name: str  # in warnings and logs
    prefix: str  # the token's letter
    pattern: re.Pattern[str]  # one whole value in the findings
    canonical: Callable[[str], str]  # its one spelling
    context_key: str  # where preprocess hands the values to postprocess
    unresolved_code: str  # the blocking warning for a slot no dictated value fills
    count: int = PLACEHOLDER_COUNT

    def slot(self, index: int) -> str:
        return f"<{self.prefix}{index}>"


MEASUREMENTS = SlotKind(
    "measurement",
    "n",
    _MEASUREMENT,
    canonical_measurement,
    "measurement_values",
    "MEASUREMENT_UNRESOLVED",
)
LEVELS = SlotKind(
    "spinal level", "l", LEVEL_RE, canonical_level, "level_values", "LEVEL_UNRESOLVED", count=8
)
SLOT_KINDS = (MEASUREMENTS, LEVELS)


def placeholder(index: int, kind: SlotKind = MEASUREMENTS) -> str:
    return kind.slot(index)


def placeholder_tokens(kind: SlotKind = MEASUREMENTS) -> list[str]:
    """The tokens a placeholder-aware tokenizer must hold (added as normal, not special, tokens
    so that `decode(..., skip_special_tokens=True)` keeps them)."""
    return [kind.slot(i) for i in range(kind.count)]


def tokenizer_uses_placeholders(tokenizer: Any, kind: SlotKind = MEASUREMENTS) -> bool:
    """Whether the tokenizer (and hence its model) was trained with this kind of slot."""
    try:
        vocab = tokenizer.get_vocab()
    except AttributeError:
        return False
    return kind.slot(0) in vocab and kind.slot(kind.count - 1) in vocab


def slot_kinds_of(tokenizer: Any) -> tuple[SlotKind, ...]:
    """The kinds of slot a tokenizer's model was trained with."""
    return tuple(kind for kind in SLOT_KINDS if tokenizer_uses_placeholders(tokenizer, kind))


def measurement_spans(text: str) -> list[tuple[int, int]]:
    """Where each whole measurement ("2.1 x 1.4 cm", "7 mm") lies in ``text``."""
    return [m.span() for m in _MEASUREMENT.finditer(text)]


def defuse(text: str) -> str:
    """Text shaped like a slot ("<n0>" typed by a user) made harmless, once before masking, so
    user text can never address a slot."""
    return _LITERAL_PLACEHOLDER.sub(r"< \1", text)


def _mask_kind(text: str, kind: SlotKind) -> tuple[str, list[str]]:
    values: list[str] = []

    def swap(match: re.Match[str]) -> str:
        value = kind.canonical(match.group(0))
        if value in values:
            return kind.slot(values.index(value))
        if len(values) >= kind.count:
            return match.group(0)
        values.append(value)
        return kind.slot(len(values) - 1)

    return kind.pattern.sub(swap, text), values


def mask_measurements(text: str) -> tuple[str, list[str]]:
    """Replace each measurement with ``<nK>`` (K by first appearance; a repeated measurement
    reuses its placeholder). Returns the masked text and the canonical measurements in K order.
    Text that already holds something shaped like a placeholder is defused first, so user text can
    never address a slot. Measurements beyond PLACEHOLDER_COUNT distinct ones stay literal."""
    return _mask_kind(defuse(text), MEASUREMENTS)


def mask_slots(text: str, kinds: Sequence[SlotKind]) -> tuple[str, dict[str, list[str]]]:
    """Every kind's values replaced by its slots, in ``kinds`` order; the values by context key."""
    text = defuse(text)
    found: dict[str, list[str]] = {}
    for kind in kinds:
        text, found[kind.context_key] = _mask_kind(text, kind)
    return text, found


def model_text(text: str, kinds: Sequence[SlotKind]) -> tuple[str, dict[str, list[str]]]:
    """What the model sees for ``text``: masked with the kinds of slot its tokenizer holds, and
    the values by context key (the text itself and no values for a model without slots;
    preprocess and eval share this)."""
    return mask_slots(text, kinds) if kinds else (text, {})


def mask_target(
    text: str, values: Sequence[str] | dict[str, list[str]], kind: SlotKind = MEASUREMENTS
) -> str:
    """Mask a training target with the source's slots (a list of ``kind``'s values, or every
    kind's values by context key): only values the source holds are masked (one the source
    lacks stays literal, so the model never learns to invent a slot)."""
    text = defuse(text)
    by_kind = values if isinstance(values, dict) else {kind.context_key: list(values)}
    for each in SLOT_KINDS:
        known = by_kind.get(each.context_key)
        if known is None:
            continue

        def swap(match: re.Match[str], each: SlotKind = each, known: list[str] = known) -> str:
            value = each.canonical(match.group(0))
            return each.slot(known.index(value)) if value in known else match.group(0)

        text = each.pattern.sub(swap, text)
    return text


def unmask(text: str, values: Sequence[str], kind: SlotKind = MEASUREMENTS) -> tuple[str, int]:
    """Put ``kind``'s values back. Returns the text and how many slots named none (written as
    ``[?]`` so a reader sees the gap; the caller raises a warning)."""
    unresolved = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal unresolved
        index = int(match.group(1))
        if index < len(values):
            return values[index]
        unresolved += 1
        return UNRESOLVED

    return re.sub(_PLACEHOLDER.format(prefix=kind.prefix), swap, text), unresolved
