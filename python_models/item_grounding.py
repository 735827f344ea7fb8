"""Impression statements held to the findings, one sentence at a time.

A small model trained on synthetic text states the right findings in most answers, but on
unfamiliar wording it flips a side ("bilateral hydronephrosis" for a left one), hands one
finding's measurement to another, invents a finding the findings never state (a hemorrhage on
a gallbladder ultrasound) or drops a finding it has never seen in that company. The safety
checks find each of those; flagging alone still shows the clinician a wrong draft. So
postprocess (when `ground_items` is on) repairs the chosen candidate sentence by sentence,
with the radiologist's own words only:

- a statement whose every finding the findings never affirm (invented, or denied there), one
  that only denies something outside the examined region, and a fragment giving a size or a
  side to no finding at all ("1.2 cm right parietal.") are removed;
- a statement whose side or measurement the checks reject (LAT_CONTRA, NUM_MISMATCH,
  NUM_MISPLACED, an unresolved ``[?]``, a side the findings never give that finding), or that
  gives its one finding another acuity, severity or direction than the findings sentence
  stating it ("acute" for "subacute"), is replaced by that findings sentence, as dictated
  (`python_models.critical_completion.as_item`; a spinal level label is kept as "at L4-L5") -
  or removed, when the model's own statements already state that sentence word for word (a
  degenerate repeat);
- a findings sentence affirming a finding that no statement gives at its place with its
  measurements replaces the statement that names the finding with other numbers, or is added
  after the findings statements. Incidental findings that impressions conventionally leave out
  (bibasilar atelectasis, a simple renal cyst, steatosis, degenerative change) are not added.

postprocess reports every change (GROUNDING_EDIT, blocking: the draft goes to review) with the
findings spans used. Nothing is invented: what goes was the model's, what comes is the
radiologist's. `impressions eval` still scores the model's own text as a row of its own.

The findings are read from the report's one reading (`python_models.reading.doc.ReportDoc`,
postprocess's `Draft.doc`): the lexicon parse of the whole findings, their sentences and each
sentence's parse.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from python_models.bilateral_merge import as_bilateral
from python_models.critical_completion import LABEL_PATTERN, as_item, negative_only
from python_models.reading.levels import levels, levels_agree
from python_models.reading.regions import GENERIC_NORMAL
from python_models.safety.checks import generics_of, related_heads, same_place
from python_models.safety.mentions import Mention, Parsed, parse
from python_models.style.items import (
    Item,
    is_normal,
    is_recommendation,
    render,
    split_items,
    split_sentences,
    strip_period,
)
from python_models.style.profile import StyleRules

if TYPE_CHECKING:  # reading.doc imports this module (is_incidental)
    from python_models.reading.doc import ReportDoc

Check = Callable[[str], list[dict[str, Any]]]

# Check codes a findings sentence repairs: the statement names a finding of the findings but
# gets its side or measurement wrong.
REPAIRABLE = frozenset({"LAT_CONTRA", "NUM_MISMATCH", "NUM_MISPLACED"})
# When every statement went: the study's own normal phrase (`ReportDoc.normal_phrase`), the
# generic one when the study's region is unknown.
NOTHING_LEFT = GENERIC_NORMAL
_UNRESOLVED = "[?]"
# Findings that impressions conventionally leave out (incidental, chronic, minor): leaving one
# out is a choice, not a loss. Matched on the findings sentence.
_INCIDENTAL_RE = re.compile(
    r"\b(?:atelecta\w*|degenerative|spondylo\w*|hiatal hernia|coronary (?:artery )?calcifi\w*|"
    r"steatosis|fatty (?:infiltration|liver)|small vessel|mucosal thickening|mucosal disease|"
    r"endplate|modic|diverticulosis|osteopenia|granuloma\w*|prostat\w*|free fluid)\b",
    re.IGNORECASE,
)
_RENAL_RE = re.compile(r"\b(?:kidneys?|renal)\b", re.IGNORECASE)
_CYST_RE = re.compile(r"\bcysts?\b", re.IGNORECASE)
_NOT_SIMPLE_RE = re.compile(r"\b(?:complex|complicated|solid|septat\w*|enhancing)\b", re.I)
# A sentence the lexicon reads as affirming a finding although it says the opposite
# ("Lymph nodes are not enlarged.", "Normal heart size.").
_NORMAL_SENTENCE_RE = re.compile(
    r"\b(?:is|are)\s+not\b|\bnormal\b|\bunremarkable\b|\bwithin normal limits\b|"
    r"\badequate\b|\bpatent\b|\bintact\b|\bclear\b|\bpreserved\b|\bmaintained\b",
    re.IGNORECASE,
)
_LINE_LABEL_RE = re.compile(LABEL_PATTERN, re.MULTILINE)
# Lobes spelled out where a findings sentence becomes an impression statement.
_LOBES = {
    "RUL": "right upper lobe",
    "RML": "right middle lobe",
    "RLL": "right lower lobe",
    "LUL": "left upper lobe",
    "LLL": "left lower lobe",
}
_LOBE_RE = re.compile(r"\b(" + "|".join(_LOBES) + r")\b")
_BOTH_SIDES_RE = re.compile(r"\b(?:right and left|left and right)\b", re.IGNORECASE)
_SIDE_WORD_RE = re.compile(r"\b(?:left|right|bilateral)\b", re.IGNORECASE)
_LEVEL_LABEL_RE = re.compile(r"^\s*([CTLS]\d{1,2}(?:\s*-\s*[CTLS]?\d{1,2})?)\s*:\s*", re.I)
# Descriptor classes a statement must take from its findings sentence: a statement giving one
# value of a class where the sentence gives another ("acute" for "subacute", "large" for
# "small") misstates the finding.
_DESCRIPTORS = (
    re.compile(r"\b(acute[- ]on[- ]chronic|hyperacute|subacute|acute|chronic)\b", re.IGNORECASE),
    re.compile(r"\b(trace|minimal|mild|moderate|severe|small|large|massive)\b", re.IGNORECASE),
    re.compile(r"\b(leftward|rightward)\b", re.IGNORECASE),
)
_DEFAULT_LAYOUT = StyleRules()

Bounds = tuple[int, int]


@dataclass
class Grounding:
    """The repaired impression, what changed, and the findings spans the new text came from."""

    impression: str
    removed: int = 0
    replaced: int = 0
    added: int = 0
    spans: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.replaced or self.added)


@dataclass(frozen=True)
class _Sentence:
    """A findings sentence affirming at least one finding."""

    bounds: Bounds
    mentions: tuple[Mention, ...]
    sizes: tuple[float, ...]  # its measurements in millimetres, in order
    words: frozenset[str]  # its content words (`_words`)

    def states(self, head: str, strict: bool) -> bool:
        names = _names(head) if strict else related_heads(head)
        return any(m.head in names for m in self.mentions)


@dataclass
class _Unit:
    """One sentence of an impression item (or a findings sentence that took its place)."""

    text: str
    item: int  # the item it belongs to; added sentences get items of their own
    recommendation: bool = False
    source: Bounds | None = None  # the findings sentence it now is
    replaces: int | None = None  # id() of the model's unit it was put in place of


def _names(head: str) -> set[str]:
    return {head, *generics_of(head)}


def _mm(value: float) -> float:
    return round(value, 1)


def _in_label(findings: str) -> Callable[[int], bool]:
    """Whether an offset lies in a section label ("LYMPH NODES: No lymphadenopathy."): a
    label names what the line is about, it does not state a finding."""
    labels = [(m.start(), m.end()) for m in _LINE_LABEL_RE.finditer(findings)]
    return lambda pos: any(start <= pos < end for start, end in labels)


def _findings_sentences(doc: ReportDoc, in_label: Callable[[int], bool]) -> list[_Sentence]:
    """The findings sentences affirming a finding outside a section label."""
    findings, parsed = doc.findings, doc.parsed
    every = doc.sentence_bounds
    starts = [start for start, _ in every]
    by_bounds: dict[Bounds, list[Mention]] = {}
    for m in parsed.findings():
        if not m.negated and not in_label(m.start):
            i = bisect_right(starts, m.start) - 1
            if i >= 0 and m.start < every[i][1]:
                by_bounds.setdefault(every[i], []).append(m)
    return [
        _Sentence(
            bounds,
            tuple(ms),
            tuple(_mm(x.mm) for x in parsed.measurements if bounds[0] <= x.start < bounds[1]),
            frozenset(_words(findings[bounds[0] : bounds[1]])),
        )
        for bounds, ms in sorted(by_bounds.items())
    ]


def sentence_item(findings: str, bounds: Bounds) -> str:
    """A findings sentence as an impression statement; a spinal level label stays ("L3-L4:
    There is severe left foraminal narrowing." -> "Severe left foraminal narrowing at L3-L4")."""
    start, end = bounds
    line_start = findings.rfind("\n", 0, start) + 1
    level = _LEVEL_LABEL_RE.match(findings[line_start:end])
    text = strip_period(as_item(findings[start:end]))
    text = _LOBE_RE.sub(lambda m: _LOBES[m.group(1)], text)
    text = _BOTH_SIDES_RE.sub(as_bilateral, text)
    if level and level.group(1).upper() not in text.upper():
        text = f"{text} at {level.group(1).upper()}"
    return text


def sentence_levels(findings: str, bounds: Bounds) -> set[str]:
    """The levels a findings sentence is about: its own, else its line's label."""
    start, end = bounds
    line_start = findings.rfind("\n", 0, start) + 1
    return levels(findings[start:end]) or levels(findings[line_start:start])


def is_incidental(sentence: str) -> bool:
    """Findings impressions conventionally leave out: a simple renal cyst, atelectasis, ..."""
    if _INCIDENTAL_RE.search(sentence):
        return True
    return bool(
        _CYST_RE.search(sentence) and _RENAL_RE.search(sentence)
    ) and not _NOT_SIMPLE_RE.search(sentence)


def _worth_stating(findings: str, s: _Sentence) -> bool:
    raw = findings[s.bounds[0] : s.bounds[1]]
    if is_incidental(raw):
        return False
    return bool(s.sizes) or not _NORMAL_SENTENCE_RE.search(raw)


class _Grounder:
    """The state of one repair: the report's reading and the sentences used so far."""

    def __init__(self, doc: ReportDoc, check: Check, exam_outside: Callable[[str], bool]) -> None:
        self.doc = doc
        self.findings = findings = doc.findings
        self.check = check
        self.exam_outside = exam_outside
        parsed = doc.parsed
        in_label = _in_label(findings)
        stated = [m for m in parsed.findings() if not m.negated and not in_label(m.start)]
        self.any_heads = {m.head for m in parsed.findings()}
        self.affirmed_heads = {m.head for m in stated}
        # the side sets each finding is stated with ("bilateral" in one mention: both)
        self.side_sets: dict[str, set[frozenset[str]]] = {}
        for m in stated:
            self.side_sets.setdefault(m.head, set()).add(m.side_set)
        self.sentences = _findings_sentences(doc, in_label)
        # which heads the findings give only without a side ("central disc protrusion")
        sided: dict[str, bool] = {}
        for m in parsed.findings():
            if not m.negated:
                sided[m.head] = sided.get(m.head, False) or bool(m.side_set)
        self.unsided = {head for head, has in sided.items() if not has}
        self.used: set[Bounds] = set()
        self.out = Grounding("")
        self._parsed: dict[str, Parsed] = {}
        # each findings sentence as a statement: a statement that is one, as dictated (the
        # critical completion's), is that sentence, and no other sentence may take its place
        self._dictated = {
            _plain(sentence_item(findings, s.bounds)): s.bounds for s in self.sentences
        }

    def parsed(self, text: str) -> Parsed:
        """``text`` parsed once per repair (statements are asked about again and again)."""
        if text not in self._parsed:
            self._parsed[text] = parse(text)
        return self._parsed[text]

    def _grounded(self, m: Mention) -> bool:
        return bool(related_heads(m.head) & self.affirmed_heads)

    def _source_for(self, text: str, said: Parsed, head: str) -> _Sentence | None:
        """The findings sentence that best states ``head`` for the statement ``text`` (shared
        measurements, then shared sides, then shared words), strict head names first."""
        sizes = {_mm(x.mm) for x in said.measurements}
        sides = {s for m in said.mentions for s in m.side_set}
        words = _words(text)
        for strict in (True, False):
            options = [s for s in self.sentences if s.states(head, strict)]
            if options:
                return max(
                    options,
                    key=lambda s: (
                        len(sizes & set(s.sizes)),
                        len(sides & {x for m in s.mentions for x in m.side_set}),
                        len(words & s.words),
                        -s.bounds[0],
                    ),
                )
        return None

    def judge(self, unit: _Unit) -> list[_Unit]:
        """The unit as it stays ([unit]), its replacement, or nothing (removed)."""
        said = self.parsed(unit.text)
        mentions = said.findings()
        affirmed = [m for m in mentions if not m.negated]
        if not mentions and (said.measurements or _SIDE_WORD_RE.search(unit.text)):
            if not is_normal(unit.text):  # "1.2 cm right parietal.": a size or side of nothing
                self.out.removed += 1
                return []
        grounded = [m for m in affirmed if self._grounded(m)]
        if affirmed and not grounded:
            self.out.removed += 1
            return []
        if (
            mentions
            and not affirmed
            and not ({m.head for m in mentions} & self.any_heads)
            and self.exam_outside(unit.text)
        ):
            self.out.removed += 1
            return []
        side_added = any(m.side_set and m.head in self.unsided for m in grounded)
        side_dropped = any(
            m.side_set
            and m.side_set not in self.side_sets.get(m.head, set())
            and any(m.side_set < sides for sides in self.side_sets.get(m.head, set()))
            for m in grounded
        )
        source = {m.head: self._source_for(unit.text, said, m.head) for m in grounded}
        wrong_organ = any(self._wrong_organ(said, found) for found in source.values())
        misdescribed = len(source) == 1 and self._misdescribed(unit.text, *source.values())
        at = levels(unit.text)
        wrong_level = bool(at) and any(
            stated and not levels_agree(at, stated) for stated in map(self._levels_of, source)
        )
        codes = {w.get("code") for w in self.check(unit.text)}
        wrong = (
            bool(codes & REPAIRABLE)
            or _UNRESOLVED in unit.text
            or len(grounded) < len(affirmed)
            or side_added
            or side_dropped
            or wrong_level
            or wrong_organ
            or misdescribed
        )
        if not wrong:
            dictated = self._dictated.get(_plain(unit.text))
            if dictated is not None:
                unit.source = dictated
                self.used.add(dictated)
            return [unit]
        sources: list[_Sentence] = []
        for found in source.values():
            if found is not None and found not in sources:
                sources.append(found)
        fresh = [s for s in sources if s.bounds not in self.used]
        if sources and not fresh:  # its finding is already stated from the findings
            self.out.removed += 1
            return []
        if fresh and all(is_incidental(self._raw(s)) for s in fresh):
            self.out.removed += 1  # a wrong statement of what impressions leave out
            return []
        if not fresh:
            return [unit]
        self.out.replaced += 1
        return [self._from_findings(s, unit.item, replaces=id(unit)) for s in fresh]

    def _wrong_organ(self, said: Parsed, source: _Sentence | None) -> bool:
        """Whether the statement puts a finding in an organ where the findings sentence stating
        it (``source``) does not ("right ovarian cyst" for a right renal cyst)."""
        organs = {m.head for m in said.mentions if m.kind == "anatomy"}
        if not organs or source is None:
            return False
        stated = {
            m.head for m in self.doc.parse_sentence(source.bounds).mentions if m.kind == "anatomy"
        }
        return bool(stated) and not (organs & stated)

    def _misdescribed(self, text: str, source: _Sentence | None) -> bool:
        """Whether a statement of one finding gives it another acuity, severity or direction
        than the findings sentence stating only that finding ("acute" for "subacute")."""
        if source is None or len(source.mentions) != 1:
            return False
        raw = self._raw(source)
        for descriptor in _DESCRIPTORS:
            said = {w.lower() for w in descriptor.findall(text)}
            found = {w.lower() for w in descriptor.findall(raw)}
            if said and found and not said & found:
                return True
        return False

    def _raw(self, s: _Sentence) -> str:
        return self.findings[s.bounds[0] : s.bounds[1]]

    def _levels_of(self, head: str) -> set[str]:
        """The spinal levels at which the findings affirm ``head``."""
        out: set[str] = set()
        for s in self.sentences:
            if s.states(head, strict=True):
                out |= sentence_levels(self.findings, s.bounds)
        return out

    def _from_findings(self, s: _Sentence, item: int, replaces: int | None = None) -> _Unit:
        self.used.add(s.bounds)
        self.out.spans.append({"source": "findings", "start": s.bounds[0], "end": s.bounds[1]})
        return _Unit(
            sentence_item(self.findings, s.bounds), item, source=s.bounds, replaces=replaces
        )

    def _naming(self, units: list[_Unit], s: _Sentence) -> tuple[list[_Unit], bool]:
        """The units naming a finding of ``s`` at its place, and whether together they state
        all its findings with all its sizes."""
        naming = [
            u
            for u in units
            if not u.recommendation and _names_any(_affirmed(self.parsed(u.text)), s)
        ]
        stated = [m for u in naming for m in _affirmed(self.parsed(u.text))]
        sizes = {_mm(x.mm) for u in naming for x in self.parsed(u.text).measurements}
        return naming, bool(naming) and _states_all(stated, s) and set(s.sizes) <= sizes

    def drop_restated(self, units: list[_Unit]) -> list[_Unit]:
        """A wrong statement is removed, not replaced, when the findings sentence that would
        replace it is already stated by the model's own correct statements (a degenerate
        repeat: "... nodule, previously [?]" after the right nodule statement)."""
        own = [u for u in units if u.source is None]
        by_sentence = {s.bounds: s for s in self.sentences}
        dropped: list[_Unit] = []
        for u in units:
            if u.replaces is None or u.source is None:
                continue
            naming, stated_all = self._naming(own, by_sentence[u.source])
            # same finding, place and sizes, and every word of its description (not "right
            # thalamus" for "right corona radiata", not "acute" for "subacute")
            said = set().union(*(_words(n.text) for n in naming)) if naming else set()
            if stated_all and _words(u.text) <= said:
                dropped.append(u)
        if not dropped:
            return units
        gone = {id(u) for u in dropped}
        for u in dropped:
            assert u.source is not None
            self.used.discard(u.source)
            self.out.spans.remove({"source": "findings", "start": u.source[0], "end": u.source[1]})
        for original in {u.replaces for u in dropped}:
            if not any(u.replaces == original and id(u) not in gone for u in units):
                self.out.replaced -= 1  # every replacement of that statement went
                self.out.removed += 1
        return [u for u in units if id(u) not in gone]

    def cover(self, units: list[_Unit], next_item: int) -> list[_Unit]:
        """Every findings sentence worth stating is stated at its place with its sizes."""
        for s in self.sentences:
            if s.bounds in self.used or not _worth_stating(self.findings, s):
                continue
            naming, stated_all = self._naming(units, s)
            if stated_all:
                continue
            target = next((u for u in naming if u.source is None), None)
            if target is not None:
                self.out.replaced += 1
                fresh = self._from_findings(s, target.item)
                target.text, target.source = fresh.text, fresh.source
            else:
                self.out.added += 1
                units.append(self._from_findings(s, next_item))
                next_item += 1
        return units


_WORD_RE = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_FILLER = frozenset(
    "a an the in of on at is are there seen noted identified present images image show shows "
    "study demonstrates demonstrated with which measuring measures measure and".split()
)


def _words(text: str) -> set[str]:
    """The content words of a statement (lower case, fillers and openers left out)."""
    return set(_WORD_RE.findall(text.lower())) - _FILLER


def _affirmed(parsed: Parsed) -> list[Mention]:
    return [m for m in parsed.findings() if not m.negated]


def _names_any(stated: list[Mention], s: _Sentence) -> bool:
    """Whether the affirmed mentions ``stated`` name one of the sentence's findings at its
    place."""
    return any(
        m.head in _names(need.head) and same_place(m.side_set, need.side_set)
        for need in s.mentions
        for m in stated
    )


def _states_all(stated: list[Mention], s: _Sentence) -> bool:
    """Whether the affirmed mentions ``stated`` give every finding of the sentence, with its
    side when it has one."""
    return all(
        any(
            m.head in _names(need.head) and (m.side_set & need.side_set if need.side_set else True)
            for m in stated
        )
        for need in s.mentions
    )


def _units(impression: str) -> list[_Unit]:
    items, _layout = split_items(impression)
    units: list[_Unit] = []
    for index, item in enumerate(items):
        for sentence in split_sentences(item.text):
            text = strip_period(sentence)
            if text:
                rec = item.recommendation or is_recommendation(text)
                units.append(_Unit(text, index, recommendation=rec))
    return units


def _plain(text: str) -> str:
    """A statement compared as words: case, spacing and the final period aside."""
    return " ".join(strip_period(text).lower().split())


def _items(units: list[_Unit]) -> list[Item]:
    """Units back into items (sentences of one item joined), findings before negatives."""
    grouped: dict[int, list[_Unit]] = {}
    for unit in units:
        grouped.setdefault(unit.item, []).append(unit)
    items = []
    for group in grouped.values():
        if all(u.recommendation for u in group):  # its finding went: so does its advice
            continue
        text = ". ".join(strip_period(u.text) for u in group)
        items.append(Item(text))
    negative = [negative_only(i.text) for i in items]
    return [i for i, neg in zip(items, negative, strict=True) if not neg] + [
        i for i, neg in zip(items, negative, strict=True) if neg
    ]


def ground(
    impression: str, doc: ReportDoc, check: Check, exam_outside: Callable[[str], bool]
) -> Grounding:
    """``impression`` held to the findings of ``doc`` (see the module text). ``check`` runs the
    safety checks on a text against these findings; ``exam_outside`` says whether a text names
    only body parts outside the examined region."""
    grounder = _Grounder(doc, check, exam_outside)
    units = _units(impression)
    kept = [
        new
        for unit in units
        for new in (grounder.judge(unit) if not unit.recommendation else [unit])
    ]
    kept = grounder.drop_restated(kept)
    kept = grounder.cover(kept, next_item=max((u.item for u in units), default=-1) + 1)
    out = grounder.out
    if not out.changed:
        out.impression = impression
        return out
    items = _items(kept)
    text = render(items, _DEFAULT_LAYOUT) if items else doc.normal_phrase
    out.impression = " ".join(text.split())
    return out
