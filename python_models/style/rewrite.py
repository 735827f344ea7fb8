"""Word-level rewrites of one item: banned phrases, terms, hedges, abbreviations, units, case.

Each rewrite is a pure function of (text, rule) so it can be tested alone. Replacements use one
combined regex per map (longest phrase first, one pass), so a replacement is never rewritten
again by the same map.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

_SIDE_RE = re.compile(r"\b(right|left|bilateral(?:ly)?)\b", re.IGNORECASE)
_NUM = r"\d+(?:\.\d+)?"
_MEASURE_RE = re.compile(
    rf"(?<![\d.])(?P<nums>{_NUM}(?:\s*(?:x|×|by)\s*{_NUM})*)\s*(?P<unit>mm|cm)\b", re.IGNORECASE
)
_DIM_SPLIT_RE = re.compile(r"\s*(?:x|×|by)\s*", re.IGNORECASE)


@lru_cache(maxsize=256)
def _phrase_regex(phrases: tuple[str, ...], case_sensitive: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", flags)


def _match_case(found: str, replacement: str) -> str:
    """Carry the capital of a sentence-initial word over; keep the replacement's own case."""
    if found[:1].isupper() and not found.isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def replace_phrases(text: str, mapping: dict[str, str], *, case_sensitive: bool = False) -> str:
    """Replace every phrase of `mapping` (whole words) by its target.

    Targets match as themselves too, so a source inside a target ("effusion" in "pleural
    effusion") is left alone where the target is already written.
    """
    if not mapping or not text:
        return text
    fold = (lambda s: s) if case_sensitive else str.lower
    lookup = {fold(v): v for v in mapping.values()}
    lookup.update({fold(k): v for k, v in mapping.items()})
    pattern = _phrase_regex(tuple(sorted(set(mapping) | set(mapping.values()))), case_sensitive)

    def sub(match: re.Match[str]) -> str:
        found = match.group(0)
        target = lookup[fold(found)]
        if fold(found) == fold(target):
            return found
        return _match_case(found, target)

    return pattern.sub(sub, text)


def remove_phrases(text: str, phrases: list[str]) -> str:
    """Delete banned phrases with the separator that joined them; tidy the punctuation left."""
    if not phrases or not text:
        return text
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    pattern = re.compile(rf"[,;:]?\s*(?<![\w-])(?:{alternatives})(?![\w-])\s*", re.IGNORECASE)
    text = pattern.sub(" ", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"([.,;:])(?:\s*[.,;:])+", r"\1", text)
    text = re.sub(r"^[\s.,;:]+", "", text)
    return " ".join(text.split())


def expand_abbreviations(text: str, mapping: dict[str, str]) -> str:
    """Write abbreviations out ("PE" -> "pulmonary embolism"); abbreviations match by case."""
    return replace_phrases(text, mapping, case_sensitive=True)


def keep_abbreviations(text: str, mapping: dict[str, str]) -> str:
    """Write full forms as the abbreviation the radiologist keeps ("pulmonary embolism" -> PE)."""
    return replace_phrases(text, {long: short for short, long in mapping.items()})


def laterality_case(text: str, case: str) -> str:
    """RIGHT/LEFT/BILATERAL or right/left/bilateral; `as_written` leaves text alone."""
    if case == "upper":
        return _SIDE_RE.sub(lambda m: m.group(0).upper(), text)
    if case == "lower":
        return _SIDE_RE.sub(lambda m: m.group(0).lower(), text)
    return text


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def convert_units(text: str, preference: str) -> str:
    """Rewrite mm/cm measurements: "mm", "cm", or "auto" (mm below 10 mm, else cm)."""
    if preference == "as_written":
        return text

    def sub(match: re.Match[str]) -> str:
        unit = match.group("unit").lower()
        raw = _DIM_SPLIT_RE.split(match.group("nums"))
        values_mm = [Decimal(v) * (10 if unit == "cm" else 1) for v in raw]
        target = preference
        if target == "auto":
            target = "mm" if max(values_mm) < 10 else "cm"
        if target == unit:
            return match.group(0)
        shown = [_fmt(v if target == "mm" else v / 10) for v in values_mm]
        return " x ".join(shown) + " " + target

    return _MEASURE_RE.sub(sub, text)


def capitalize_sentences(text: str) -> str:
    """Capitalise the first letter after a sentence end (lowercasing may leave "right" there)."""
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
