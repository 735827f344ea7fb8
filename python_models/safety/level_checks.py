"""A spinal level is a place, like a side: each impression clause that names a level is held to
what the findings say at that level (`reading.levels`), read the generic way (`safety.reading`).

- NEG_FLIP: the clause reverses what the findings state at its level ("Severe canal stenosis at
  L3-L4" where the L3-L4 line says "no canal stenosis"), though another level has the finding;
- UNGROUNDED: the clause affirms a finding at a level the findings never name ("Schmorl node at
  L3" when the findings describe L1, L4-L5 and L5-S1 only), or at a level whose findings share
  none of its words ("canal stenosis at L2-L3" where L2-L3 holds only a foraminal protrusion
  and other levels deny stenosis).

A findings clause is at a level when its sentence or the header of its line names it ("L3-L4:
Mild disc bulge. No stenosis."). A findings denial narrowed to a degree or a time ("no
significant stenosis") leaves a statement of a lesser or known one alone, as it does for the
lexicon checks (`checks.NARROWING_RE`). One of `checks.CHECKS`: the served answer's candidates
are held to it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from python_models.reading.clauses import span_labels
from python_models.reading.levels import levels
from python_models.safety.reading import POSITIVE, Chunk, read

if TYPE_CHECKING:
    from python_models.safety.checks import CheckContext, Span
    from python_models.safety.mentions import Parsed


@dataclass(frozen=True)
class _AtLevels:
    """The findings' side, read once per impression: each segment's levels, the clauses, and
    the levels named (disc levels as written; vertebrae also as parts of disc levels)."""

    f: Parsed
    levels: list[set[str]]
    chunks: tuple[Chunk, ...]
    named: set[str]
    named_parts: set[str]

    @classmethod
    def of(cls, f: Parsed) -> _AtLevels:
        at = _segment_levels(f)
        named: set[str] = set().union(*at) if at else set()
        parts = named | {part for level in named for part in level.split("-")}
        return cls(f, at, read(f).chunks, named, parts)


def check_levels(f: Parsed, i: Parsed, ctx: CheckContext | None = None) -> dict[str, list[Span]]:
    """NEG_FLIP and UNGROUNDED of impression sentences at a spinal level (module docstring)."""
    found: dict[str, list[Span]] = {"NEG_FLIP": [], "UNGROUNDED": []}
    i_levels = _segment_levels(i)
    if not any(i_levels):
        return found
    findings = _AtLevels.of(f)
    by_segment: dict[int, list[Chunk]] = {}
    for chunk in read(i).chunks:
        if chunk.core and i_levels[chunk.segment]:
            by_segment.setdefault(chunk.segment, []).append(chunk)
    for segment, chunks in by_segment.items():
        code = _level_code(findings, i, chunks, sorted(i_levels[segment]))
        if code:
            s0, s1 = i.segments[segment]
            found[code].append({"source": "impression", "start": s0, "end": s1})
    return found


_LEVEL_STEM_RE = re.compile(r"[ctls]\d{1,2}(?:[ctls]?\d{1,2})?")


def _level_code(findings: _AtLevels, i: Parsed, chunks: list[Chunk], at: list[str]) -> str:
    """NEG_FLIP when a clause of the sentence reverses the findings at one of its levels;
    UNGROUNDED when it affirms something at a level the findings never name, or whose
    findings share none of its affirmed words; "" otherwise."""
    from python_models.safety.checks import _flips

    affirmed = frozenset(
        w
        for c in chunks
        if c.polarity == POSITIVE
        for w in c.core
        if not _LEVEL_STEM_RE.fullmatch(w)  # the level itself is no word of the finding
    )
    for level in at:
        # an L5 root lies in L5-S1
        known = findings.named if "-" in level else findings.named_parts
        at_level = [c for c in findings.chunks if _lies_at(level, findings.levels[c.segment])]
        for chunk in chunks:
            kept = tuple(c for c in at_level if not _narrowed_away(findings.f, c, i, chunk))
            if _flips(_without_levels(chunk), kept):
                return "NEG_FLIP"
        if affirmed and (level not in known or not any(affirmed & c.about for c in at_level)):
            return "UNGROUNDED"  # a level never described, or nothing like it there
    return ""


def _lies_at(level: str, where: set[str]) -> bool:
    """Whether a findings clause at ``where`` speaks of ``level``: the level itself, or for a
    vertebra, a disc level it bounds (an L5 root, an L5 slip: L5-S1)."""
    return level in where or (
        "-" not in level and any(level in disc.split("-") for disc in where if "-" in disc)
    )


def _without_levels(chunk: Chunk) -> Chunk:
    """The chunk without its level words ("l4" of "L4-5"): the level is the place, not what
    the clause says of it."""
    return replace(
        chunk, stems=frozenset(w for w in chunk.stems if not _LEVEL_STEM_RE.fullmatch(w))
    )


def _segment_levels(p: Parsed) -> list[set[str]]:
    """Per segment: the levels it or the header of its line names."""
    labels = span_labels(p.text, tuple(p.segments))
    return [
        levels(p.text[s0:s1]) | levels(label)
        for (s0, s1), (label, _) in zip(p.segments, labels, strict=True)
    ]


def _narrowed_away(f: Parsed, denial: Chunk, i: Parsed, statement: Chunk) -> bool:
    """A findings denial narrowed by a degree or a time the impression clause stays inside of:
    "no significant stenosis" beside "mild stenosis", "no new fracture" beside "old fracture"."""
    from python_models.safety.checks import _NARROWING, NARROWING_RE

    if not denial.denies:
        return False
    said = i.text[statement.start : statement.end].lower()
    for q in NARROWING_RE.findall(f.text[denial.start : denial.end].lower()):
        lesser = _NARROWING[q]
        if lesser is not None and lesser.search(said):
            return True
    return False
