"""The clinical facts of an impression, comparable with ``==``.

Style profiles rewrite an impression (numbering, case, units, prose vs list); they must never
change what it says. ``extract_facts(before) == extract_facts(after)`` is that guard, so Facts
keeps only what carries clinical meaning (sizes, sides, what is absent, what is present) and
normalises everything a style may change (case, bullets, "1.2 cm" vs "12 mm", synonyms).
"""

from __future__ import annotations

from dataclasses import dataclass

from python_models.safety.mentions import parse, side_sort_key


@dataclass(frozen=True)
class Facts:
    """Facts of one text; ``==`` means "same clinical facts".

    measurements: every length in millimetres, sorted (a multiset: two 7 mm nodules are two).
    sides: unique (finding_head, side) pairs, side in {"left", "right", "bilateral"}; side-
        bearing anatomy ("kidney", "lower lobe") counts as a head when it carries a side.
    negations: unique finding heads stated absent ("pneumothorax" for "no pneumothorax").
    findings: unique finding heads stated present (optional extension of the contract).
    """

    measurements: tuple[float, ...] = ()
    sides: tuple[tuple[str, str], ...] = ()
    negations: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()


def extract_facts(text: str) -> Facts:
    """Extract the Facts of ``text`` (an impression or a findings section)."""
    parsed = parse(text or "")
    sides = {(m.head, m.side) for m in parsed.mentions if m.side is not None}
    negated = {m.head for m in parsed.findings() if m.negated}
    present = {m.head for m in parsed.findings() if not m.negated}
    return Facts(
        measurements=tuple(sorted(m.mm for m in parsed.measurements)),
        sides=tuple(sorted(sides, key=lambda p: (p[0], side_sort_key(p[1])))),
        negations=tuple(sorted(negated)),
        findings=tuple(sorted(present)),
    )
