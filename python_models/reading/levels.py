"""Spinal levels: one reading for grounding and for the model's copy slots.

A wrong level is a wrong site (a fracture at L1 reported at L3), so the statement's levels are
held to the findings (`item_grounding`) and a level-aware model copies them as slots
(`measurement_placeholders.LEVELS`). Disc levels ("L4-5", "L5-S1") and single vertebrae ("L2",
"T11") count; "T1"/"T2" naming an MRI sequence ("T2 hyperintense", "T1-weighted", "T2/FLAIR") do
not.
"""

from __future__ import annotations

import re

# A disc level, its parts grouped for `canonical_level`: "L4-5" is L, 4, (L), 5.
_DISC = r"([CTLS])(\d{1,2})\s*-\s*([CTLS]?)(\d{1,2})"
_VERTEBRA = r"C[1-7]|T1[0-2]|T[1-9]|L[1-5]|S[1-5]"
_NOT_A_SEQUENCE = (
    r"(?!\s*(?:-?\s*weighted|W\b|/|\*|hyper|hypo|iso|signal|sequence|imag|flair|prolong|short"
    r"|shine|star|post))"
)
LEVEL_RE = re.compile(rf"\b(?:{_DISC}|(?:{_VERTEBRA}))\b{_NOT_A_SEQUENCE}", re.IGNORECASE)
_DISC_RE = re.compile(_DISC, re.IGNORECASE)


def canonical_level(text: str) -> str:
    """One spelling per level: "l4-5" -> "L4-L5", "L5 - S1" -> "L5-S1", "t11" -> "T11"."""
    disc = _DISC_RE.fullmatch(text.strip())
    if disc:
        a, b, c, d = disc.groups()
        return f"{a.upper()}{b}-{(c or a).upper()}{d}"
    return text.strip().upper()


# A slip names its disc level: "anterolisthesis of L4 on L5" is at L4-L5.
_SLIP_RE = re.compile(
    r"\b(?:\w*listhesis|slip\w*|subluxation|translation) of\s+"
    r"([CTLS])(\d{1,2})\s+on\s+([CTLS]?)(\d{1,2})\b",
    re.IGNORECASE,
)
# A span names each level in it: "from L3 to L5", "L3 through L5".
_RANGE_RE = re.compile(r"\b([CTLS])(\d{1,2})\s+(?:to|through|thru)\s+\1?(\d{1,2})\b", re.I)
# "T1"/"T2" after "on" or beside the other one are MRI sequences ("hyperintense on T2",
# "T1 and T2 signal"), not vertebrae.
_SEQUENCE_CONTEXT_RE = re.compile(r"(?:\bon|\band|\bor)\s*$|^\s*(?:and|or)\s+t[12]\b", re.I)


def levels(text: str) -> set[str]:
    """The spinal levels a text names, in their canonical spelling."""
    named = set()
    for m in LEVEL_RE.finditer(text):
        if m.group(0).upper() in ("T1", "T2") and (
            _SEQUENCE_CONTEXT_RE.search(text[max(0, m.start() - 4) : m.start()])
            or _SEQUENCE_CONTEXT_RE.match(text[m.end() : m.end() + 8])
        ):
            continue
        named.add(canonical_level(m.group(0)))
    for m in _SLIP_RE.finditer(text):
        named.add(canonical_level("{}{}-{}{}".format(*m.groups())))
    for m in _RANGE_RE.finditer(text):
        letter, first, last = m.group(1).upper(), int(m.group(2)), int(m.group(3))
        for k in range(first, last):
            named |= {f"{letter}{k}", f"{letter}{k}-{letter}{k + 1}", f"{letter}{k + 1}"}
    return named


def levels_agree(said: set[str], stated: set[str]) -> bool:
    """Whether a statement's levels meet the findings' levels: one level in common, spelled the
    same way. A vertebra is not its disc level: "L2" for a stenosis at "L2-L3", or "L2-L3" for an
    L2 fracture, names another site (the statement is replaced by the findings sentence, which
    costs style, never the site)."""
    return bool(said & stated)
