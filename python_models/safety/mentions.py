"""Find finding mentions, sides, negations and measurements in report text, with offsets.

Both ``python_models.facts`` (style must not change facts) and the safety checks read text
through this one module, so "what a fact is" has a single definition. Everything is rule-based
and deterministic: the same text always yields the same mentions, which is what a safety check
that blocks an impression needs.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from python_models.reading.vocabulary import american, either_spelling
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
    """Regex for a phrase: spaces also match hyphens/newlines ("intra-abdominal"), "dilation"
    also matches its spelling "dilatation" ("biliary ductal dilatation"), and an American
    spelling its British one ("haematoma", `vocabulary.either_spelling`)."""
    words = [
        either_spelling(re.escape(w).replace("dilation", "dilat(?:at)?ion"))
        for w in re.split(r"[\s-]+", phrase)
    ]
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
    return _alternation(list(canon), plural=True), canon


def names_a_finding(low: str) -> bool:
    """Whether lower-cased ``low`` names a finding of the lexicon."""
    return _finding_index()[0].search(low) is not None


def _norm_phrase(phrase: str) -> str:
    spaced = re.sub(r"[\s-]+", " ", american(phrase.lower())).strip()
    return spaced.replace("dilatation", "dilation")


def _lookup(matched: str, canon: dict[str, str]) -> str | None:
    key = _norm_phrase(matched)
    if key in canon:
        return canon[key]
    for cut in ("es", "s"):
        if key.endswith(cut) and key[: -len(cut)] in canon:
            return canon[key[: -len(cut)]]
    return None


_LETTER_SIDES = sorted(w for w in lx.SIDE_WORDS if len(w) == 1)
SIDE_RE = re.compile(
    r"(?<![\w/-])("
    + "|".join(sorted((re.escape(w) for w in lx.SIDE_WORDS if len(w) > 1), key=len, reverse=True))
    + r"|(?<!\d )(?<!\d)(?:"
    + "|".join(_LETTER_SIDES)
    + r")(?=\.?[ \t]+(?!(?:of|and|or|to|in|x)\b)[a-z]))(?![\w/-])"
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
    r"stable|unchanged|increased|decreased|persistent|there|only|\d)"
    # a reading of what the clause describes: "without flow, compatible with torsion"; an
    # attendant clause: "no flow over 8 cm, with reconstitution at the adductor canal"
    r"|,\s*(?:(?:highly|very|strongly|most)\s+)?"
    r"(?:with\b|(?:compatible|consistent|in keeping) with|suggestive of|suspicious for|"
    r"concerning for|diagnostic of|representing|indicating|suggesting|likely|probably)\b"
)
_NUM = r"\d+(?:\.\d+)?"
_UNIT = r"(?:millimet(?:er|re)s?|centimet(?:er|re)s?|mm|cm)(?![\w/])"  # not "cm/s"
_CHAIN_RE = re.compile(
    rf"(?<![\w.]){_NUM}(?:\s*-?\s*{_UNIT})?"
    rf"(?:\s*(?:x|by|×|to|-|–)\s*{_NUM}(?:\s*-?\s*{_UNIT})?)*"
)
_PART_RE = re.compile(rf"({_NUM})(?:\s*-?\s*({_UNIT}))?")
# Segment boundaries: sentence ends (not decimal points), semicolons, line breaks.
_SEGMENT_SPLIT_RE = re.compile(r"\.(?!\d)|;|\n|\?|!")


def lower_same_length(text: str) -> str:
    """Lower-case ``text`` without changing any offset (a few Unicode letters grow when lowered)."""
    if text.isascii():  # the common case, and the hot path of every parse: one C call
        return text.lower()
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


class _NextMatch:
    """``pattern.search(text, pos)`` for non-decreasing ``pos``, scanning each character once.

    The leftmost match at or after ``pos`` does not depend on where an earlier search began, so
    a cached match that still starts at or after ``pos`` is the answer; a new search is needed
    only past it, and those searches cover disjoint stretches of the text.
    """

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self._pattern, self._text = pattern, text
        self._found: re.Match[str] | None = None
        self._exhausted = False

    def at_or_after(self, pos: int) -> re.Match[str] | None:
        if self._exhausted:
            return None
        if self._found is None or self._found.start() < pos:
            self._found = self._pattern.search(self._text, pos)
            self._exhausted = self._found is None
        return self._found


def _last_before(positions: list[int], limit: int) -> int:
    """The largest position <= ``limit`` in sorted ``positions``, or -1."""
    index = bisect_right(positions, limit) - 1
    return positions[index] if index >= 0 else -1


# A header answered by a denial alone ("Fractures: None.", "Hemorrhage: absent"), or whose
# line opens with a denial or a normal word ("Lymph nodes: No pelvic lymphadenopathy."; not
# "no change in ..."): a label, not a statement of its finding.
_HEADER_DENIED_RE = re.compile(
    r"\s*([a-z][a-z /&,-]{0,40}):\s*(?:(?:none|negative|absent|nil|not (?:seen|identified|present))"
    r"\s*[.;]?\s*$|(?:no|normal|unremarkable|negative for)\b(?!\s+(?:\w+\s+)?change)"
    r"(?=[^.;\n]*\b(?P<again>lymph|node|nodes)))"
)


def _neg_scopes(low: str, seg: tuple[int, int]) -> list[tuple[int, int]]:
    """Character ranges inside one segment that a negation cue covers."""
    s0, s1 = seg
    piece = low[s0:s1]
    # Pseudo-negations do not overlap one another, so only the last one starting at or before
    # a position can contain it.
    pseudo = [(m.start(), m.end()) for m in _PSEUDO_NEG_RE.finditer(piece)]
    pseudo_starts = [a for a, _ in pseudo]

    def in_pseudo(pos: int) -> bool:
        index = bisect_right(pseudo_starts, pos) - 1
        return index >= 0 and pos < pseudo[index][1]

    scopes: list[tuple[int, int]] = []
    header_denied = _HEADER_DENIED_RE.match(piece)
    if header_denied:  # "Fractures: None." denies the header's finding
        scopes.append((s0 + header_denied.start(1), s0 + header_denied.end(1)))
    scope_end = _NextMatch(_SCOPE_END_RE, piece)
    for cue in _PRE_NEG_RE.finditer(piece):
        if in_pseudo(cue.start()):
            continue
        end_match = scope_end.at_or_after(cue.end())
        end = end_match.start() if end_match else len(piece)
        scopes.append((s0 + cue.end(), s0 + end))
    # Clause starts for post-negations: every comma, colon and " but " (overlaps included).
    commas = [i for i, c in enumerate(piece) if c in ",:"]
    buts = [m.start() for m in re.finditer(r"(?= but )", piece)]
    phrase_ends = _NextMatch(_PHRASE_END_RE, piece)
    for cue in _POST_NEG_RE.finditer(piece):
        if in_pseudo(cue.start()) and not cue.group(0).startswith(("is no longer", "no longer")):
            continue
        if _PREMODIFIES_RE.match(piece, cue.end()):
            # "absent color flow": the cue modifies the noun phrase after it, and only that.
            phrase_end = phrase_ends.at_or_after(cue.end())
            scopes.append((s0 + cue.end(), s0 + (phrase_end.start() if phrase_end else len(piece))))
            continue
        # Back to the clause start: the last comma/"but" before the cue.
        cut = max(_last_before(commas, cue.start() - 1), _last_before(buts, cue.start() - 5))
        scopes.append((s0 + cut + 1, s0 + cue.start()))
    return scopes


# After a post-negation cue, a noun it modifies ("absent flow") rather than a clause end.
_PREMODIFIES_RE = re.compile(
    r"\s+(?!(?:and|or|but|on|in|at|of|to|from|with|within|bilaterally|throughout|since|"
    r"compared|as|by|for|from|again|now|today|here|there)\b)[a-z]"
)


_PHRASE_END_RE = re.compile(r"[,;:()]|\b(?:with|and|or|but|to|in|of|at|within|from|on)\b")


@lru_cache(maxsize=4096)
def _segment_scopes(low: str, seg: tuple[int, int]) -> tuple[list[int], list[int]]:
    return _merged(_neg_scopes(low, seg))


def covered_by_negation(low: str, seg: tuple[int, int], pos: int) -> bool:
    """Whether offset ``pos`` of lower-cased ``low`` lies in a negation scope of segment
    ``seg`` (the reading of ``parse``, for any word, not only lexicon findings)."""
    starts, ends = _segment_scopes(low, seg)
    return _covered(starts, ends, pos)


def _merged(scopes: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Half-open ranges merged into disjoint, sorted (starts, ends) for bisecting."""
    starts: list[int] = []
    ends: list[int] = []
    for a, b in sorted(s for s in scopes if s[0] < s[1]):
        if ends and a <= ends[-1]:
            ends[-1] = max(ends[-1], b)
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def _covered(starts: list[int], ends: list[int], pos: int) -> bool:
    index = bisect_right(starts, pos) - 1
    return index >= 0 and pos < ends[index]


# A finding word naming a team, alert or protocol ("stroke team notified", "code stroke",
# "PE protocol") states nothing about the patient.
# A finding word naming a team, a meeting or a test: "stroke team", "tumor board", "tumor markers".
_TEAM_AFTER_RE = re.compile(
    r"\s+(?:team|alert|protocol|service|pathway|code|board|clinic|conference|unit|markers?)\b"
)
_CODE_BEFORE_RE = re.compile(r"\bcode\s+$")


def _names_a_team(low: str, start: int, end: int) -> bool:
    return bool(
        _TEAM_AFTER_RE.match(low, end) or _CODE_BEFORE_RE.search(low, max(0, start - 6), start)
    )


# A clot in a superficial vein is superficial thrombophlebitis, not deep vein thrombosis: the
# generic words ("thrombus", "clot") take the vein they lie in. The superficial femoral vein is
# a deep vein, whatever its name.
_GENERIC_CLOT_RE = re.compile(r"thromb\w*|clots?")
_SUPERFICIAL_VEIN_RE = re.compile(
    r"\b(?:cephalic|basilic|median cubital|(?:great|greater|small|lesser|short|long) saphenous"
    r"|superficial (?!femoral)(?:\w+ )?veins?|varicos\w*)\b"
)
_DEEP_VEIN_RE = re.compile(
    r"\b(?:femoral|popliteal|tibial|peroneal|iliac|subclavian|axillary|brachial|jugular"
    r"|gastrocnemi\w*|soleal|deep)\b"
)


# ... and a clot in an artery is no venous thrombosis at all: in a pulmonary artery it is an
# embolus, elsewhere an arterial thrombus ("M1 thrombus", "thrombus in the SMA"). A segment
# naming a vein too keeps the venous reading.
_PULMONARY_ARTERY_RE = re.compile(r"\bpulmonary arter\w*|\b(?:lobar|segmental|subsegmental) arter")
_ARTERY_RE = re.compile(
    r"\b(?:arter\w*|aort\w*|carotid|vertebral|basilar|mca|aca|pca|ica|sma|m[1-4]|a[12]|"
    r"p[12]|middle cerebral|celiac|iliac artery)\b"
)
_VEIN_RE = re.compile(r"\b(?:veins?|venous|dvt|ivc|svc|sinus|sinuses)\b")
# A generic stone word takes the organ it lies in: gallbladder stones are no kidney stones.
_GENERIC_STONE_RE = re.compile(r"stones?|calcul(?:us|i)")
_BILIARY_RE = re.compile(
    r"\b(?:gallbladder|gall bladder|biliary|bile duct|common duct|cbd|cystic duct|"
    r"cholecyst\w*|choledoch\w*|cholelith\w*|gallstones?)\b"
)
_URETER_RE = re.compile(r"\b(?:ureter\w*|uvj|ureterovesical|ureteropelvic|upj)\b")
_KIDNEY_RE = re.compile(r"\b(?:kidneys?|renal|calyx|calyces|calyceal|nephr\w*)\b")
_URINARY_RE = re.compile(
    r"\b(?:kidneys?|renal|ureter\w*|uvj|ureterovesical|bladder|urinary|nephr\w*|calyx|"
    r"calyces|calyceal|collecting system)\b"
)


_SURGICAL_DISSECTION_RE = re.compile(
    r"\b(?:axillary|neck|nodal|node|lymph|lymphadenectomy|surgical|submucosal|pelvic|"
    r"retroperitoneal lymph)\s+(?:node\s+)?$"
)
# Organs whose infarcts are no stroke (a sentence naming the brain keeps its infarct).
_ORGAN_INFARCT_RE = re.compile(
    r"\b(?:spleen|splenic|kidney|kidneys|renal|liver|hepatic|myocardi\w*|"
    r"placent\w*|omental|omentum|testis|testicular|bone|osseous)\b"
)
_BRAIN_RE = re.compile(
    r"\b(?:brain|cerebral|cerebell\w*|mca|aca|pca|territory|lacunar|cortical|thalam\w*|"
    r"ganglia|capsule|pons|pontine|medulla\w*|brainstem|corona|caudate|occipital|frontal|"
    r"parietal|temporal|insula\w*|stroke)\b"
)


def _head_by_place(low: str, seg: tuple[int, int], mention: Mention) -> str:
    """The head of a generic clot, stone or infarct word from the vessel or organ its segment
    names."""
    said = low[mention.start : mention.end]
    segment = low[seg[0] : seg[1]]
    if (
        mention.head == "infarct"
        and _ORGAN_INFARCT_RE.search(low, max(seg[0], mention.start - 25), mention.end + 25)
        and not _BRAIN_RE.search(segment)
    ):
        # a splenic or renal infarct is no stroke: reported, not a code (a pulmonary one
        # stays critical: it speaks of an embolism)
        return "visceral infarct"
    if (
        mention.head == "aortic dissection"
        and said == "dissection"
        and _SURGICAL_DISSECTION_RE.search(low, max(seg[0], mention.start - 25), mention.start)
    ):
        return "surgical dissection"  # "left axillary dissection": an operation, not a tear
    if mention.head == "nephrolithiasis" and _GENERIC_STONE_RE.fullmatch(said):
        if _BILIARY_RE.search(segment) and not _URINARY_RE.search(segment):
            return "cholelithiasis"
        if _URETER_RE.search(segment) and not _KIDNEY_RE.search(segment):
            return "ureteral calculus"
        return mention.head
    if mention.head != "deep vein thrombosis" or not _GENERIC_CLOT_RE.fullmatch(said):
        return mention.head
    # the vessel its line's header names first ("Basilic vein: thrombus ..., ending short of
    # the axillary vein"; "Aorta: ... Eccentric mural thrombus."), else its sentence's
    line_start = low.rfind("\n", 0, seg[0]) + 1
    header = _LINE_HEADER_RE.match(low, line_start, seg[1])
    if header and (_ARTERY_RE.search(header.group(1)) or _VEIN_RE.search(header.group(1))):
        segment = header.group(1)
    if _ARTERY_RE.search(segment) and not _VEIN_RE.search(segment):
        if _PULMONARY_ARTERY_RE.search(segment):
            return "pulmonary embolism"
        return "arterial thrombosis"
    if _SUPERFICIAL_VEIN_RE.search(segment) and not any(
        not _SHORT_OF_RE.search(segment, max(0, deep.start() - 40), deep.start())
        for deep in _DEEP_VEIN_RE.finditer(segment)
    ):
        return "superficial venous thrombosis"
    return mention.head


# A deep vein the clot stops short of is not involved: "basilic vein thrombus ..., ending 3 cm
# before its junction with the axillary vein".
_SHORT_OF_RE = re.compile(
    r"\b(?:ending|ends|terminat\w*|stops?|short of|before|away from|\d+(?:\.\d+)? ?(?:cm|mm) "
    r"(?:from|below|above|distal to|proximal to))\b[^.;]*$"
)


# An organ said to be enlarged states its enlargement ("the heart is mildly enlarged" is
# cardiomegaly); the mention starts at the organ, so "is not enlarged" (a post-negation) denies it.
_ENLARGEMENT_OF = {
    "heart": "cardiomegaly",
    "cardiac silhouette": "cardiomegaly",
    "cardiac size": "cardiomegaly",
    "heart size": "cardiomegaly",
    "cardiac contour": "cardiomegaly",
    "cardiomediastinal silhouette": "cardiomegaly",
    "liver": "hepatomegaly",
    "spleen": "splenomegaly",
    "prostate": "prostatomegaly",
    "prostate gland": "prostatomegaly",
}


def _subjects(subjects: dict[str, str]) -> str:
    return rf"(?P<subject>{'|'.join(sorted(subjects, key=len, reverse=True))})"


def _said_to_be(subjects: dict[str, str], verbs: str, predicate: str) -> re.Pattern[str]:
    """ "<subject> <verb> [not] [adverb] <predicate>", or under the subject's own header
    ("Spleen: Enlarged, 15 cm"): the subject names the head it states."""
    return re.compile(
        rf"\b{_subjects(subjects)}(?:\s+(?:{verbs})\s+(?:not\s+)?|\s*:\s*)"
        rf"(?:\w+ly\s+)?{predicate}\b"
    )


def _said_normal_size(subjects: dict[str, str]) -> re.Pattern[str]:
    """An organ said to be of normal size denies its enlargement: "normal heart size",
    "normal-sized spleen", "heart size is normal", "the liver is normal in size", "heart size
    within normal limits"."""
    end = r"(?=\s*(?:[.,;:]|$|\band\b|\bwith(?:out)?\b))"
    return re.compile(
        rf"\bnormal(?:[\s-]sized?)?\s+{_subjects(subjects)}(?:\s+size)?{end}"
        rf"|\b{_subjects(subjects).replace('subject', 'subject2')}(?:\s+size)?\s+"
        rf"(?:(?:is|are|appears|remains)\s+)?(?:\w+ly\s+)?"
        rf"(?:normal(?:\s+in\s+size)?|within normal limits){end}"
    )


# A duct said to be dilated states its dilation, read the same way ("the common bile duct is
# dilated, measuring 9 mm" is biliary dilation; "is not dilated" denies it).
_DILATION_OF = {
    "common bile duct": "biliary dilation",
    "bile duct": "biliary dilation",
    "bile ducts": "biliary dilation",
    "common duct": "biliary dilation",
    "cbd": "biliary dilation",
    "biliary tree": "biliary dilation",
    "biliary ducts": "biliary dilation",
    "intrahepatic ducts": "biliary dilation",
    "collecting system": "hydronephrosis",
    "collecting systems": "hydronephrosis",
}
# Both read one way: the subjects and the heads they state, the linking verbs, the predicate.
_STATED_BY_PREDICATE = (
    (_ENLARGEMENT_OF, _said_to_be(_ENLARGEMENT_OF, "is|are|appears|remains|is again", "enlarged")),
    (
        _DILATION_OF,
        _said_to_be(_DILATION_OF, "is|are|appears|appear|remains|remain|is again", "dilated"),
    ),
)

_NORMAL_SIZE_RE = _said_normal_size(_ENLARGEMENT_OF)


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
        if head and not _names_a_team(low, m.start(), m.end()):
            mentions.append(Mention(head, "finding", m.start(), m.end(), seg_of(m.start())))
    for heads, pattern in _STATED_BY_PREDICATE:
        for m in pattern.finditer(low):
            head = heads[m.group("subject")]
            mentions.append(Mention(head, "finding", m.start(), m.end(), seg_of(m.start())))
    denied: list[Mention] = []
    for m in _NORMAL_SIZE_RE.finditer(low):
        head = _ENLARGEMENT_OF[m.group("subject") or m.group("subject2")]
        denied.append(Mention(head, "finding", m.start(), m.end(), seg_of(m.start())))
    mentions.extend(denied)
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
        starts, ends = _merged(_neg_scopes(low, seg))
        for mention in in_seg:
            if mention.kind == "finding":
                mention.head = _head_by_place(low, seg, mention)
                mention.negated = _covered(starts, ends, mention.start)
        _bind_sides(low, seg, in_seg)
    _header_sides(low, mentions)
    for mention in denied:
        mention.negated = True
    _benign_nodes(low, segments, mentions)

    return Parsed(text, segments, mentions, _measurements(low, seg_of))


# An organ header opening a line ("RIGHT:", "Left popliteal vein:", "2. Right:").
_LINE_HEADER_RE = re.compile(r"(?m)^[ \t]*(?:\d+[.)][ \t]*)?([a-z][a-z0-9 /,&'-]{0,40}?):(?!\d)")


# Lymph nodes described as benign are no lymphadenopathy: "three lymph nodes with thin
# cortices and fatty hila"; one that lost its hilum or is rounded still is.
_BENIGN_NODE_RE = re.compile(
    r"\b(?:fatty hil\w*|thin cort\w*|normal (?:size|morphology|appearance)|benign|reactive|"
    r"sub-?centimet\w*|not (?:enlarged|pathologic\w*)|unremarkable)\b"
)
_SUSPICIOUS_NODE_RE = re.compile(
    r"\b(?:loss|lost|effac\w*|absent|without|(?<!not )(?<!non-)enlarg\w*|round\w*|(?<!no )necro\w*|"
    r"thick\w*|eccentric|"
    r"abnormal\w*|irregular|indistinct|suspicious|pathologic|malignan\w*|metasta\w*|"
    r"calcif\w*|microcalcif\w*|cystic|avid|matted|heterogeneous|hypervascular|vascularity|"
    r"bulky|conglomerate)\b"
)


def benign_nodes_sentence(low: str, s0: int, s1: int) -> bool:
    """Whether the sentence at [s0, s1) of lower-cased ``low`` describes lymph nodes as benign
    and nothing of them as suspicious."""
    return bool(_BENIGN_NODE_RE.search(low, s0, s1)) and not _SUSPICIOUS_NODE_RE.search(low, s0, s1)


BENIGN_NODE = "benign lymph node"


def _benign_nodes(low: str, segments: list[tuple[int, int]], mentions: list[Mention]) -> None:
    """ "Lymph node(s)" named in a sentence that describes them as benign only are benign nodes,
    no lymphadenopathy (still a statement: an impression's benign node must be described)."""
    for m in mentions:
        if m.head != "lymphadenopathy" or m.negated or not low.startswith("lymph node", m.start):
            continue
        if benign_nodes_sentence(low, *segments[m.segment]):
            m.head = BENIGN_NODE


def header_side_at(low: str, pos: int) -> str | None:
    """The one side named by the header of the line holding offset ``pos`` of lower-cased
    ``low`` ("LEFT KIDNEY: ... shadowing echogenic focus"), if any."""
    start = low.rfind("\n", 0, pos) + 1
    header = _LINE_HEADER_RE.match(low, start)
    if header is None or header.end() > pos + 1:
        return None
    words = header.group(1).split()
    sides = {lx.SIDE_WORDS[w] for w in words if w in lx.SIDE_WORDS}
    return sides.pop() if len(words) <= 5 and len(sides) == 1 else None


def _header_sides(low: str, mentions: list[Mention]) -> None:
    """A side named in a line's header is the side of the findings on that line that name
    none: "RIGHT: The popliteal vein is noncompressible with thrombus." """
    if ":" not in low:
        return
    for header in _LINE_HEADER_RE.finditer(low):
        line_end = low.find("\n", header.end())
        line_end = len(low) if line_end < 0 else line_end
        _sides_under_organ_header(low, header, line_end, mentions)
        words = header.group(1).split()
        sides = {lx.SIDE_WORDS[w] for w in words if w in lx.SIDE_WORDS}
        if len(words) > 5 or len(sides) != 1:
            continue
        side = sides.pop()
        for m in mentions:
            if m.kind == "finding" and header.end() <= m.start < line_end and not m.sides:
                m.sides.add(side)


# A side opening a sentence of an organ header's line: "Testes: Right 4.6 cm. Left 4.2 cm."
_SENTENCE_SIDE_RE = re.compile(r"(?:^|[:.;]\s*)\s*(right|left|bilateral)\b")


def _sides_under_organ_header(
    low: str, header: re.Match[str], line_end: int, mentions: list[Mention]
) -> None:
    """The sides that open the sentences of an organ header's line are the organ's: "Testes:
    Right 20 mL. Left 15 mL." gives the testes both sides."""
    organs = [
        m for m in mentions if m.kind == "anatomy" and header.start(1) <= m.start < header.end(1)
    ]
    if not organs:
        return
    line = low[header.end() : line_end]
    sides = {lx.SIDE_WORDS[w] for w in _SENTENCE_SIDE_RE.findall(line)}
    for m in organs:
        m.sides |= sides


# A side word of a symptom, not a finding: "left-sided weakness", "right arm numbness".
_SYMPTOM_AFTER_RE = re.compile(
    r"(?:-sided)?(?:\s+(?:arm|leg|hand|face|facial|body|upper|lower|limb|extremity))*\s+"
    r"(?:weakness|hemiparesis|hemiplegia|numbness|paresthesias?|sensory loss|symptoms|deficits?|"
    r"neglect|ataxia|pain)\b"
)


def _bind_sides(low: str, seg: tuple[int, int], in_seg: list[Mention]) -> None:
    """Attach each side word to the mention it modifies.

    An adjective ("left effusion") modifies what follows; a prepositional phrase ("effusion on
    the left", "nodule in the right lower lobe") or "bilaterally" modifies what precedes.
    Findings come from one regex scan, so they do not overlap: sorted by start they are sorted
    by end too, and the nearest one before or after a side word is found by bisecting.
    """
    s0, s1 = seg
    findings = [m for m in in_seg if m.kind == "finding"]
    f_starts = [m.start for m in findings]
    f_ends = [m.end for m in findings]

    def inside_finding(pos: int) -> bool:
        index = bisect_right(f_starts, pos) - 1
        return index >= 0 and pos < findings[index].end

    # Anatomy inside a finding phrase ("pleural" in "pleural effusion") never takes a side, so
    # "left pleural effusion" and "effusion on the left" have the same facts. Anatomy also
    # comes from one scan: sorted and non-overlapping like the findings.
    anatomy = [m for m in in_seg if m.kind == "anatomy" and not inside_finding(m.start)]
    a_starts = [m.start for m in anatomy]
    a_ends = [m.end for m in anatomy]
    for side_match in SIDE_RE.finditer(low, s0, s1):
        side = lx.SIDE_WORDS[side_match.group(1)]
        pos, end = side_match.start(), side_match.end()
        if _SYMPTOM_AFTER_RE.match(low, end, s1):
            continue  # "the patient's left-sided weakness": a symptom's side, no finding's
        pp = _PP_BEFORE_RE.search(low[max(s0, pos - 32) : pos])
        before_index = bisect_right(f_ends, pos) - 1
        before = findings[before_index] if before_index >= 0 else None
        after_index = bisect_left(f_starts, end)
        after = findings[after_index] if after_index < len(findings) else None
        # The anatomy this side word names ("left lower lobe", "right atrium"), if any.
        immediate: Mention | None = None
        for a in anatomy[bisect_left(a_starts, pos) :]:
            if a.start > end + 15:
                break
            if not _GAP_BREAK_RE.search(low[end : max(end, a.start)]):
                immediate = a
                break
        target: Mention | None = None
        if side_match.group(1) == "bilaterally" and before:
            target = before
        elif pp and before and _TIP_RE.search(low, before.end, pos):
            target = None  # "catheter, tip in the right PA": the tip's place, not the line's side
        elif pp and before and _pp_attaches(low, before.end, pos - len(pp.group(0))):
            target = before  # "nodule in the right lower lobe"
        elif before and _DEGREE_AT_RE.search(low[max(s0, pos - 40) : pos]):
            target = before  # "Bilateral effusions, moderate on the right and trace on the left"
        elif after:
            target = after  # "right lower lobe nodule"
        elif before and immediate is None and not pp and _TRAILING_SIDE_RE.match(low, end, s1):
            target = before  # "effusion, left"; not "... with bilateral neuroforaminal narrowing"
        if (
            target is None
            and before is not None
            and immediate is not None
            and _APPOSITION_RE.fullmatch(low, before.end, pos)
            and _CLAUSE_END_RE.match(low, immediate.end)
        ):
            target = before  # "lower pole calculus, left kidney": the calculus's place
        if target is not None:
            target.sides.add(side)
        if immediate is not None:
            immediate.sides.add(side)
        elif target is None:
            prev_index = bisect_right(a_ends, pos) - 1
            if prev_index >= 0:
                anatomy[prev_index].sides.add(side)


_TIP_RE = re.compile(r"\btips?\b")
# A side after its finding ends the phrase ("effusion, left", "effusions, left greater than
# right"); one followed by other words modifies those.
_TRAILING_SIDE_RE = re.compile(
    r"\s*(?:[.,;:)\]]|$|(?:and|or|side|sided|greater|more|larger|worse|>)\b|>)"
)
# A place set after its finding by a comma ends its clause: "calculus, left kidney", "nodule,
# R lobe"; not "pneumothorax, right lung is well expanded".
_CLAUSE_END_RE = re.compile(r"\s*(?:[.;,)]|$)")
_APPOSITION_RE = re.compile(r"[^,.;:()]{0,30},\s*")
# A degree placed on a side describes the finding before it: "effusions, trace on the left".
_DEGREE_AT_RE = re.compile(
    r"\b(?:trace|tiny|small|minimal|mild|moderate|large|severe|marked|greater|larger|worse)"
    r"\s+(?:on|in|at)\s+(?:the\s+)?$"
)
# Between a side word and its anatomy noun only modifiers may stand ("right lower lobe").
_GAP_BREAK_RE = re.compile(r"[,;:()]|\b(?:with|of|in|on|at|the|there|is|are)\b")
# Between a finding and a prepositional phrase: nothing that starts a new noun phrase.
_PP_BREAK_RE = re.compile(r"[,;]|\b(?:with|and|or|from|to|while|leads?)\b")


def _pp_attaches(low: str, finding_end: int, prep_start: int) -> bool:
    """Whether a prepositional phrase starting at ``prep_start`` modifies the finding that
    ends at ``finding_end`` ("thrombosis of the left femoral vein"), not a later noun
    ("pacemaker with leads in the right atrium")."""
    if prep_start - finding_end > 40:  # checked before slicing: the gap may be the whole text
        return False
    return not _PP_BREAK_RE.search(low[finding_end:prep_start])


def side_sort_key(side: str) -> int:
    return _SIDE_ORDER.index(side)
