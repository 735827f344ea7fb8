"""The clinical question of the exam answered in the impression when the findings answer it.

Some exams are ordered to answer one question: a CT pulmonary angiogram (is there a pulmonary
embolism?), a lower-extremity venous duplex (is there a deep venous thrombosis, on each side
examined?), and, once a head CT shows anything, whether any of it is a hemorrhage. The
referring clinician reads the impression for that answer, so it must be there even when it is
negative. The demo model often drops the negative ("Mild centrilobular emphysema." for a PE
study whose findings say "no embolus identified"), or writes a generic "No acute abnormality."
for a normal duplex. postprocess (when `pertinent_negatives` is on) adds the negative answer
from a small versioned table below, only when

- the exam is one the table names (read from the exam description),
- the findings deny the finding in so many words (a denial the checks' lexicon reads, "No
  pulmonary embolism", "Negative for DVT in the left leg", or the table's own wording of a
  normal study, "no embolus identified", "the left leg veins are compressible"), per side for a
  sided question, and affirm it nowhere (on that side),
- the impression says nothing about it (on that side), and, for a question asked only when
  there is something to explain (head CT), the impression states a finding.

The answer goes after the items stating findings and before the other negatives; a bare
"No acute abnormality." gives way to it (it says less). A warn-level NEGATIVE_ADDED warning
points at the findings sentences that gave the answer. Nothing positive is ever added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from python_models.critical_completion import LABEL_PATTERN, sentence_at
from python_models.safety.checks import related_heads
from python_models.safety.mentions import Mention, parse
from python_models.style.items import Item, is_normal, render, split_items, strip_period
from python_models.style.profile import StyleRules

TABLE_VERSION = "2026-12"
GENERIC_NORMAL = "no acute abnormality"
_DEFAULT_LAYOUT = StyleRules()
_LABEL_RE = re.compile(LABEL_PATTERN)
_SIDES = ("left", "right")


@dataclass(frozen=True)
class Question:
    """One exam's clinical question and its negative answer."""

    name: str
    exam: re.Pattern[str]  # exam descriptions that ask it
    heads: frozenset[str]  # lexicon heads that are (part of) the answer
    answer: str  # the negative answer; "{side}" filled in for a sided question
    denial: re.Pattern[str] | None = None  # normal-study wording the lexicon does not read
    contrary: re.Pattern[str] | None = None  # wording that makes a ``denial`` sentence positive
    sided: bool = False
    both_sides: str = ""  # the answer for both sides at once (sided questions)
    when_normal: bool = True  # also asked when the impression states no finding


_VEINS_NORMAL_RE = re.compile(
    r"\b(?:compressib\w*|patent|normal (?:color )?flow|augmentation)\b", re.IGNORECASE
)
_VEINS_ABNORMAL_RE = re.compile(
    r"\b(?:non-?compressib\w*|incompressib\w*|not (?:fully )?compressib\w*|thromb\w*|clots?|"
    r"occlu\w*|non-?occlusive|filling defects?)\b",
    re.IGNORECASE,
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        "pulmonary embolism",
        re.compile(
            r"\bPE\b|\bpulmonary angiogra\w*|\bCTA\b.*\bchest\b|\bchest\b.*\bCTA\b", re.IGNORECASE
        ),
        related_heads("pulmonary embolism"),
        "No pulmonary embolism.",
        denial=re.compile(
            r"\b(?:no|without|negative for)\b[^.;]{0,40}?\b(?:embol\w*|filling defects?)\b",
            re.IGNORECASE,
        ),
    ),
    Question(
        "deep vein thrombosis",
        re.compile(r"\b(?:venous|veins?|duplex)\b.*\b(?:lower extremit\w*|legs?)\b", re.I),
        related_heads("deep vein thrombosis"),
        "No deep venous thrombosis in the {side} lower extremity.",
        denial=_VEINS_NORMAL_RE,
        contrary=_VEINS_ABNORMAL_RE,
        sided=True,
        both_sides="No deep venous thrombosis in either lower extremity.",
    ),
    Question(
        "intracranial hemorrhage",
        re.compile(r"\bCT\b.*\b(?:head|brain)\b|\b(?:head|brain)\b.*\bCT\b", re.IGNORECASE),
        related_heads("intracranial hemorrhage"),
        "No intracranial hemorrhage.",
        when_normal=False,
    ),
)


@dataclass
class Answered:
    """The impression with the answers added, how many, and the findings spans they rest on."""

    impression: str
    added: int = 0
    spans: list[dict[str, Any]] = field(default_factory=list)


def question_for(exam: str | None) -> Question | None:
    """The table's question for an exam description, or None."""
    if not exam:
        return None
    return next((q for q in QUESTIONS if q.exam.search(exam)), None)


def negative_only(text: str) -> bool:
    """A statement that only denies or calls normal ("No pulmonary embolism")."""
    mentions = parse(text).findings()
    return (bool(mentions) and all(m.negated for m in mentions)) or (
        not mentions and is_normal(text)
    )


def _sides_of(m: Mention) -> frozenset[str]:
    return m.side_set or frozenset(_SIDES)  # no side given: it speaks for both


def _denied_sides(question: Question, findings: str) -> dict[str, list[tuple[int, int]]]:
    """The sides (or "any" for an unsided question) the findings answer negatively, each with
    the sentences that do; a side the findings affirm the finding on anywhere is not answered."""
    parsed = parse(findings)
    asked = [m for m in parsed.findings() if m.head in question.heads]
    affirmed: set[str] = set()
    for m in asked:
        if not m.negated:
            affirmed |= _sides_of(m) if question.sided else {"any"}
    denied: dict[str, list[tuple[int, int]]] = {}
    for m in asked:
        if m.negated and (bounds := sentence_at(findings, m.start)) is not None:
            for side in _sides_of(m) if question.sided else {"any"}:
                denied.setdefault(side, []).append(bounds)
    if question.denial is not None:
        for match in question.denial.finditer(findings):
            bounds = sentence_at(findings, match.start())
            if bounds is None:
                continue
            for side in _denial_sides(question, findings, bounds):
                denied.setdefault(side, []).append(bounds)
    return {side: bounds for side, bounds in denied.items() if side not in affirmed}


def _denial_sides(question: Question, findings: str, bounds: tuple[int, int]) -> set[str]:
    """The sides a normal-study sentence speaks for: its own side words, else its line's label
    ("Right lower extremity: The veins are compressible."); none when it affirms the finding or
    says something the question reads as positive ("non-compressible")."""
    sentence = findings[bounds[0] : bounds[1]]
    said = parse(sentence)
    if any(not m.negated and m.head in question.heads for m in said.findings()):
        return set()
    if question.contrary is not None and question.contrary.search(sentence):
        return set()
    if not question.sided:
        return {"any"}
    sides = {s for m in said.mentions for s in m.side_set}
    if not sides:
        line_start = findings.rfind("\n", 0, bounds[0]) + 1
        label = _LABEL_RE.match(findings[line_start : bounds[0]] + " ")
        if label is not None:
            sides = {s for m in parse(label.group(1)).mentions for s in m.side_set}
    return sides


def _said_sides(question: Question, items: list[Item]) -> set[str]:
    """The sides (or "any") the impression already says something about."""
    out: set[str] = set()
    for item in items:
        for m in parse(item.text).findings():
            if m.head in question.heads:
                out |= _sides_of(m) if question.sided else {"any"}
    return out


def _negatives_of(question: Question, items: list[Item]) -> dict[int, str]:
    """The items that only deny the finding on one side, by index, with that side: they fold
    into the both-sides answer."""
    out: dict[int, str] = {}
    for i, item in enumerate(items):
        mentions = parse(item.text).findings()
        sides = {s for m in mentions for s in m.side_set}
        if (
            mentions
            and all(m.negated and m.head in question.heads for m in mentions)
            and len(sides) == 1
        ):
            out[i] = sides.pop()
    return out


def answer_question(impression: str, findings: str, exam: str | None) -> Answered:
    """``impression`` with the exam's negative answer added where the module text says so;
    unchanged otherwise."""
    question = question_for(exam)
    if question is None:
        return Answered(impression)
    items, _layout = split_items(impression)
    states_finding = [not negative_only(item.text) for item in items]
    if not question.when_normal and not any(states_finding):
        return Answered(impression)
    denied = _denied_sides(question, findings)
    missing = set(denied) - _said_sides(question, items)
    if not missing:
        return Answered(impression)
    folded = _negatives_of(question, items) if question.sided and question.both_sides else {}
    if not question.sided:
        answers = [question.answer]
    elif question.both_sides and set(_SIDES) <= missing | set(folded.values()):
        answers = [question.both_sides]  # "in either lower extremity", once
    else:
        answers = [question.answer.format(side=side) for side in _SIDES if side in missing]
        folded = {}
    kept = [
        (item, finding)
        for i, (item, finding) in enumerate(zip(items, states_finding, strict=True))
        if strip_period(item.text).strip().lower() != GENERIC_NORMAL and i not in folded
    ]
    last_finding = max((i for i, (_, finding) in enumerate(kept) if finding), default=-1)
    out = [item for item, _ in kept]
    out[last_finding + 1 : last_finding + 1] = [Item(a) for a in answers]
    text = " ".join(render(out, _DEFAULT_LAYOUT).split())
    return Answered(
        text,
        len(answers),
        [
            {"source": "findings", "start": start, "end": end}
            for start, end in sorted({b for side in missing for b in denied[side]})
        ],
    )
