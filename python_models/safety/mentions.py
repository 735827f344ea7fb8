"""Find finding mentions, sides, negations and measurements in report text, with offsets.

Both ``python_models.facts`` (style must not change facts) and the safety checks read text
through this one module, so "what a fact is" has a single definition. Everything is rule-based
and deterministic: the same text always yields the same mentions, which is what a safety check
that blocks an impression needs.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from python_models.safety import lexicons as lx

_SIDE_ORDER = ("left", "right", "bilateral")


@dataclass
class Mention:
    """One finding (or side-bearing anatomy) named in the text."""

    head: str
    kind: str  # "finding" | "anatomy"
    start: int
    end: int
    segment: int
    negated: bool = False
    sides: set[str] = field(default_factory=set)

    @property
    def side(self) -> str | None:
        """The mention's side, with left + right collapsed to "bilateral"."""
        if not self.sides:
            return None
        if "bilateral" in self.sides or {"left", "right"} <= self.sides:
            return "bilateral"
        return next(iter(self.sides))

    @property
    def side_set(self) -> frozenset[str]:
        """Sides as a set of {"left","right"}, bilateral meaning both."""
        out: set[str] = set()
        for side in self.sides:
            out |= {"left", "right"} if side == "bilateral" else {side}
        return frozenset(out)


@dataclass(frozen=True)
class Measurement:
    """A length normalised to millimetres, with where it was written."""

    mm: float
    start: int
    end: int
    segment: int


@dataclass
class Parsed:
    """Everything the checks need from one text."""

    text: str
    segments: list[tuple[int, int]]
    mentions: list[Mention]
    measurements: list[Measurement]

    def findings(self) -> list[Mention]:
        return [m for m in self.mentions if m.kind == "finding"]


def _phrase_pattern(phrase: str) -> str:
    """Regex for a phrase: spaces also match hyphens/newlines ("intra-abdominal")."""
    words = [re.escape(w) for w in re.split(r"[\s-]+", phrase)]
    return r"[\s-]+".join(words)


def _alternation(phrases: list[str], plural: bool) -> re.Pattern[str]:
    ordered = sorted(set(phrases), key=len, reverse=True)
    body = "|".join(_phrase_pattern(p) for p in ordered)
    suffix = r"(?:e?s)?" if plural else ""
    return re.compile(rf"(?<![\w-])(?:{body}){suffix}(?![\w-])")


@lru_cache(maxsize=1)
def _finding_index() -> tuple[re.Pattern[str], dict[str, str]]:
    canon: dict[str, str] = {}
    for head, synonyms in lx.FINDINGS.items():
        for syn in (head, *synonyms):
            canon[_norm_phrase(syn)] = head
    return _alternation(list(canon), plural=True), canon


@lru_cache(maxsize=1)
def _anatomy_index() -> tuple[re.Pattern[str], dict[str, str]]:
    canon = {_norm_phrase(term): part for term, (part, _region) in lx.ANATOMY.items()}
    return _alternation(list(canon), plural=False), canon


def _norm_phrase(phrase: str) -> str:
    return re.sub(r"[\s-]+", " ", phrase.lower()).strip()


def _lookup(matched: str, canon: dict[str, str]) -> str | None:
    key = _norm_phrase(matched)
    if key in canon:
        return canon[key]
    for cut in ("es", "s"):
        if key.endswith(cut) and key[: -len(cut)] in canon:
            return canon[key[: -len(cut)]]
    return None


_SIDE_RE = re.compile(
    r"(?<![\w-])("
    + "|".join(sorted(map(re.escape, lx.SIDE_WORDS), key=len, reverse=True))
    + r")(?![\w-])"
)
_PP_BEFORE_RE = re.compile(
    r"\b(?:on|in|of|at|within|involving|to|from|along)\s+(?:the\s+)?"
    r"(?:(?:proximal|distal|mid|upper|lower|anterior|posterior|lateral|medial|inferior|superior)"
    r"\s+)?$"
)
_PRE_NEG_RE = _alternation(list(lx.PRE_NEGATION), plural=False)
_POST_NEG_RE = _alternation(list(lx.POST_NEGATION), plural=False)
_PSEUDO_NEG_RE = _alternation(list(lx.PSEUDO_NEGATION), plural=False)
# Where a negation's scope ends: contrastive words, or a new positive clause after "," / "and"
# ("no pneumothorax, small left effusion").
_SCOPE_END_RE = re.compile(
    r"\b(?:but|however|although|though|except|whereas|which|while)\b"
    r"|(?:,|\band\b)\s+(?:(?:a|an|the|there\s+is|there\s+are)\s+)?"
    r"(?:small|moderate|large|mild|severe|trace|tiny|minimal|new|left|right|bilateral|"
    r"stable|unchanged|increased|decreased|persistent|there|\d)"
)
_NUM = r"\d+(?:\.\d+)?"
_UNIT = r"(?:millimet(?:er|re)s?|centimet(?:er|re)s?|mm|cm)(?![\w])"
_CHAIN_RE = re.compile(
    rf"(?<![\w.]){_NUM}(?:\s*-?\s*{_UNIT})?"
    rf"(?:\s*(?:x|by|×|to|-|–)\s*{_NUM}(?:\s*-?\s*{_UNIT})?)*"
)
_PART_RE = re.compile(rf"({_NUM})(?:\s*-?\s*({_UNIT}))?")
# Segment boundaries: sentence ends (not decimal points), semicolons, line breaks.
_SEGMENT_SPLIT_RE = re.compile(r"\.(?!\d)|;|\n|\?|!")


def lower_same_length(text: str) -> str:
    """Lower-case ``text`` without changing any offset (a few Unicode letters grow when lowered)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def segments_of(text: str) -> list[tuple[int, int]]:
    """Sentence-like spans; list numbering and bullets fall in their own (fact-free) pieces."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SEGMENT_SPLIT_RE.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [s for s in spans if text[s[0] : s[1]].strip()]


def _measurements(low: str, seg_of) -> list[Measurement]:
    out: list[Measurement] = []
    for chain in _CHAIN_RE.finditer(low):
        parts = list(_PART_RE.finditer(chain.group(0)))
        pending: list[re.Match[str]] = []
        for part in parts:
            pending.append(part)
            unit = part.group(2)
            if not unit:
                continue
            factor = 10.0 if unit.startswith("c") else 1.0
            for p in pending:
                start = chain.start() + p.start()
                end = chain.start() + p.end()
                value = round(float(p.group(1)) * factor, 2)
                out.append(Measurement(value, start, end, seg_of(start)))
            pending = []
    return out


def _neg_scopes(low: str, seg: tuple[int, int]) -> list[tuple[int, int]]:
    """Character ranges inside one segment that a negation cue covers."""
    s0, s1 = seg
    piece = low[s0:s1]
    pseudo = [(m.start(), m.end()) for m in _PSEUDO_NEG_RE.finditer(piece)]

    def in_pseudo(pos: int) -> bool:
        return any(a <= pos < b for a, b in pseudo)

    scopes: list[tuple[int, int]] = []
    for cue in _PRE_NEG_RE.finditer(piece):
        if in_pseudo(cue.start()):
            continue
        end_match = _SCOPE_END_RE.search(piece, cue.end())
        end = end_match.start() if end_match else len(piece)
        scopes.append((s0 + cue.end(), s0 + end))
    for cue in _POST_NEG_RE.finditer(piece):
        if in_pseudo(cue.start()) and not cue.group(0).startswith(("is no longer", "no longer")):
            continue
        # Back to the clause start: the last comma/"but" before the cue.
        head = piece[: cue.start()]
        cut = max(head.rfind(","), head.rfind(" but "), head.rfind(":"))
        scopes.append((s0 + cut + 1, s0 + cue.start()))
    return scopes


def parse(text: str) -> Parsed:
    """Find mentions, sides, negations and measurements in ``text`` (offsets into ``text``)."""
    low = lower_same_length(text)
    segments = segments_of(low)
    seg_starts = [s for s, _ in segments]

    def seg_of(pos: int) -> int:
        return max(bisect_right(seg_starts, pos) - 1, 0)

    finding_re, finding_canon = _finding_index()
    anatomy_re, anatomy_canon = _anatomy_index()
    # Anatomy inside a finding phrase ("ovarian" in "ovarian torsion") is kept: the sex and exam
    # checks need the organ; side binding skips it (a side binds to the finding first).
    mentions: list[Mention] = []
    for m in finding_re.finditer(low):
        head = _lookup(m.group(0), finding_canon)
        if head:
            mentions.append(Mention(head, "finding", m.start(), m.end(), seg_of(m.start())))
    for m in anatomy_re.finditer(low):
        part = _lookup(m.group(0), anatomy_canon)
        if part:
            mention = Mention(part, "anatomy", m.start(), m.end(), seg_of(m.start()))
            side = lx.SIDE_WORDS.get(m.group(0))  # "rll" is its own side
            if side:
                mention.sides.add(side)
            mentions.append(mention)
    mentions.sort(key=lambda x: x.start)

    by_segment: dict[int, list[Mention]] = {}
    for mention in mentions:
        by_segment.setdefault(mention.segment, []).append(mention)
    for index, in_seg in by_segment.items():
        seg = segments[index]
        scopes = _neg_scopes(low, seg)
        for mention in in_seg:
            if mention.kind == "finding" and any(a <= mention.start < b for a, b in scopes):
                mention.negated = True
        _bind_sides(low, seg, in_seg)

    return Parsed(text, segments, mentions, _measurements(low, seg_of))


def _bind_sides(low: str, seg: tuple[int, int], in_seg: list[Mention]) -> None:
    """Attach each side word to the mention it modifies.

    An adjective ("left effusion") modifies what follows; a prepositional phrase ("effusion on
    the left", "nodule in the right lower lobe") or "bilaterally" modifies what precedes.
    """
    s0, s1 = seg
    findings = [m for m in in_seg if m.kind == "finding"]
    # Anatomy inside a finding phrase ("pleural" in "pleural effusion") never takes a side, so
    # "left pleural effusion" and "effusion on the left" have the same facts.
    anatomy = [
        m
        for m in in_seg
        if m.kind == "anatomy" and not any(f.start <= m.start < f.end for f in findings)
    ]
    for side_match in _SIDE_RE.finditer(low, s0, s1):
        side = lx.SIDE_WORDS[side_match.group(1)]
        pos, end = side_match.start(), side_match.end()
        pp = _PP_BEFORE_RE.search(low[max(s0, pos - 32) : pos])
        before = [m for m in findings if m.end <= pos]
        after = [m for m in findings if m.start >= end]
        # The anatomy this side word names ("left lower lobe", "right atrium"), if any.
        immediate = next(
            (
                a
                for a in anatomy
                if pos <= a.start <= end + 15
                and not _GAP_BREAK_RE.search(low[end : max(end, a.start)])
            ),
            None,
        )
        target: Mention | None = None
        if side_match.group(1) == "bilaterally" and before:
            target = before[-1]
        elif pp and before and _pp_attaches(low, before[-1].end, pos - len(pp.group(0))):
            target = before[-1]  # "nodule in the right lower lobe"
        elif after:
            target = after[0]  # "right lower lobe nodule"
        elif before and immediate is None:
            target = before[-1]  # "effusion, left"
        if target is not None:
            target.sides.add(side)
        if immediate is not None:
            immediate.sides.add(side)
        elif target is None:
            prev_anat = [m for m in anatomy if m.end <= pos]
            if prev_anat:
                prev_anat[-1].sides.add(side)


# Between a side word and its anatomy noun only modifiers may stand ("right lower lobe").
_GAP_BREAK_RE = re.compile(r"[,;:()]|\b(?:with|of|in|on|at|the|there|is|are)\b")
# Between a finding and a prepositional phrase: nothing that starts a new noun phrase.
_PP_BREAK_RE = re.compile(r"[,;]|\b(?:with|and|or|from|to|while|leads?)\b")


def _pp_attaches(low: str, finding_end: int, prep_start: int) -> bool:
    """Whether a prepositional phrase starting at ``prep_start`` modifies the finding that
    ends at ``finding_end`` ("thrombosis of the left femoral vein"), not a later noun
    ("pacemaker with leads in the right atrium")."""
    gap = low[finding_end:prep_start]
    return len(gap) <= 40 and not _PP_BREAK_RE.search(gap)


def side_sort_key(side: str) -> int:
    return _SIDE_ORDER.index(side)
