"""An internal carotid stenosis is graded from Doppler velocities, not named: the findings give
"ICA PSV 268 cm/s, EDV 120 cm/s, ICA/CCA ratio 4.6" and the impression says "70-99% stenosis".
The grade the impression states for one side is held to the grade the findings' velocities give
that side, by the Society of Radiologists in Ultrasound consensus criteria (Grant et al.,
Radiology 2003;229:340-6):

- 70% or more (short of occlusion): PSV above 230 cm/s, or EDV above 100 cm/s, or an ICA/CCA
  PSV ratio above 4;
- 50-69%: PSV 125-230 cm/s (or a ratio of 2-4);
- under 50%: PSV under 125 cm/s with a ratio under 2.

A stated grade that the velocities of its side contradict is `LAT_CONTRA` when the other side's
velocities give exactly that grade (the sides were swapped), `NUM_MISMATCH` otherwise (the grade
is wrong). Only a side whose ICA velocities the findings give is judged. One of `checks.CHECKS`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from python_models.safety.mentions import lower_same_length

if TYPE_CHECKING:
    from python_models.safety.checks import CheckContext, Span
    from python_models.safety.mentions import Parsed

SEVERE, MODERATE, MILD = "70-99%", "50-69%", "<50%"

_SIDE_RE = re.compile(r"\b(?:(left|lt|l)|(right|rt|r))\b(?=[\s:.,]|$)")
_ICA = r"(?:ica|internal carotid(?: artery)?)"
_VALUE = r"\s*(?:of|was|is|measures?|measuring|[:=])?\s*(\d+(?:\.\d+)?)"
_PSV_RE = re.compile(rf"\b(?:psv|peak systolic velocit(?:y|ies)){_VALUE}\s*cm/s")
_EDV_RE = re.compile(rf"\b(?:edv|end[\s-]diastolic velocit(?:y|ies)){_VALUE}\s*cm/s")
_RATIO_RE = re.compile(rf"\bica\s*/\s*cca(?:\s+(?:psv\s+)?ratio)?{_VALUE}(?!\s*cm)")
# a velocity of another vessel: "CCA PSV 80 cm/s", "vertebral PSV 40 cm/s"
_OTHER_VESSEL_RE = re.compile(
    r"\b(?:cca|eca|common carotid|external carotid|vertebral|subclavian)\W*$"
)
_ICA_RE = re.compile(rf"\b{_ICA}\b")

_GRADE_RES = (
    (
        SEVERE,
        re.compile(
            r"(?:>=|≥|greater than or equal to|at least)\s*70\s*%|"
            r"\b70\s*%?\s*(?:or (?:greater|more)|and (?:above|greater)|\+|-\s*99|–\s*99|to 99)|"
            r"\bsevere\b|\bcritical\b|\bhigh[\s-]grade\b"
        ),
    ),
    (MODERATE, re.compile(r"\b50\s*%?\s*(?:-|–|to)\s*69\s*%|\bmoderate\b")),
    (
        MILD,
        re.compile(
            r"(?:<|less than|under|below)\s*50\s*%|\bmild\b|\bminimal\b|"
            r"\bno (?:hemodynamically |haemodynamically )?significant\b"
        ),
    ),
)


def _grade(psv: float | None, edv: float | None, ratio: float | None) -> str | None:
    if psv is None and edv is None and ratio is None:
        return None
    if (psv or 0) > 230 or (edv or 0) > 100 or (ratio or 0) > 4:
        return SEVERE
    if psv is not None:
        return MODERATE if psv >= 125 else MILD
    return MODERATE if ratio is not None and ratio >= 2 else None


def _line_side(line: str) -> str | None:
    head = line.split(":", 1)[0] if ":" in line[:40] else line
    sides = {("left" if m.group(1) else "right") for m in _SIDE_RE.finditer(head)}
    return sides.pop() if len(sides) == 1 else None


def _highest(pattern: re.Pattern[str], text: str) -> float | None:
    """The highest ICA value of a line (proximal, mid, distal: the worst segment grades it)."""
    values = [
        float(m.group(1))
        for m in pattern.finditer(text)
        if not _OTHER_VESSEL_RE.search(text[max(0, m.start() - 25) : m.start()])
    ]
    return max(values) if values else None


def findings_grades(findings: str) -> dict[str, str]:
    """Per side, the ICA stenosis grade its velocities give (sides from each line's header or
    only side word; a line without one continues the side before it)."""
    low = lower_same_length(findings)
    values: dict[str, list[float | None]] = {}
    side: str | None = None
    about_ica = False  # the line, or the header it continues, names the ICA
    for line in low.splitlines():
        headed = ":" in line[:40]
        side = _line_side(line) if headed else (_line_side(line) or side)
        about_ica = bool(_ICA_RE.search(line)) or (about_ica and not headed)
        if side is None or not about_ica:
            continue
        found = [_highest(p, line) for p in (_PSV_RE, _EDV_RE, _RATIO_RE)]
        if any(v is not None for v in found):
            old = values.setdefault(side, [None, None, None])
            values[side] = [
                n if o is None else o if n is None else max(o, n)
                for o, n in zip(old, found, strict=True)
            ]
    out = {}
    for s, (psv, edv, ratio) in values.items():
        grade = _grade(psv, edv, ratio)
        if grade:
            out[s] = grade
    return out


def stated_grades(parsed: Parsed) -> list[tuple[str, str, int, int]]:
    """(side, grade, start, end) of each impression sentence grading one side's ICA stenosis."""
    low = lower_same_length(parsed.text)
    out = []
    for s0, s1 in parsed.segments:
        sentence = low[s0:s1]
        if not _ICA_RE.search(sentence) or "stenos" not in sentence:
            continue
        sides = {("left" if m.group(1) else "right") for m in _SIDE_RE.finditer(sentence)}
        grades = [grade for grade, pattern in _GRADE_RES if pattern.search(sentence)]
        if len(sides) == 1 and grades:
            out.append((sides.pop(), grades[0], s0, s1))
    return out


def check_carotid_grades(
    f: Parsed, i: Parsed, ctx: CheckContext | None = None
) -> dict[str, list[Span]]:
    """LAT_CONTRA or NUM_MISMATCH for an ICA stenosis grade its side's velocities contradict."""
    found: dict[str, list[Span]] = {"LAT_CONTRA": [], "NUM_MISMATCH": []}
    if "cm/s" not in f.text.lower():
        return found
    by_side = findings_grades(f.text)
    for side, grade, start, end in stated_grades(i):
        measured = by_side.get(side)
        if measured is None or measured == grade:
            continue
        other = by_side.get("right" if side == "left" else "left")
        code = "LAT_CONTRA" if other == grade else "NUM_MISMATCH"
        found[code].append({"source": "impression", "start": start, "end": end})
    return found
