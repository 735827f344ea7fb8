"""Deterministic safety checks: is the impression grounded in the findings and the patient?

Each check reads the parsed findings and impression (``mentions.parse``) and returns warnings
``{code, severity, message, spans}``. Messages are fixed vocabulary plus counts and never quote
report text, so a warning can be logged or shown anywhere without carrying PHI; ``spans`` are
character offsets that let a client highlight the words itself.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from python_models import exams
from python_models.guidelines import fleischner_excluded
from python_models.reading.clauses import content_stems
from python_models.reading.polarity import read_sentence
from python_models.reading.vocabulary import COMMUNICATION_VERBS, NEUTRAL_WORDS
from python_models.request_fields import sex_of
from python_models.safety import lexicons as lx
from python_models.safety.carotid_grades import check_carotid_grades
from python_models.safety.gestational_age import check_gestational_age
from python_models.safety.level_checks import check_levels
from python_models.safety.mentions import (
    SIDE_RE,
    Measurement,
    Mention,
    Parsed,
    covered_by_negation,
    header_side_at,
    lower_same_length,
    parse,
)
from python_models.safety.reading import POSITIVE, Chunk, conflicting, qualifiers, read, stem
from python_models.safety.signs import SIGN_REGION, SPECIFIC, Sign, sign_matches
from python_models.safety.wording import check_wording

if TYPE_CHECKING:
    from python_models.reading.doc import ReportDoc

MAX_SPANS = 50  # per warning: enough to highlight, bounded for huge reports
BLOCK = "block"
WARN = "warn"

# code -> (severity, message template); "{n}" is a count, never report text.
CODES: dict[str, tuple[str, str]] = {
    "LAT_CONTRA": (BLOCK, "laterality of {n} impression item(s) contradicts the findings"),
    "LAT_DROP": (WARN, "{n} impression item(s) omit the side stated in the findings"),
    "NUM_MISMATCH": (BLOCK, "{n} measurement(s) in the impression do not match the findings"),
    "NUM_MISPLACED": (
        BLOCK,
        "{n} measurement(s) in the impression belong to another finding in the findings",
    ),
    "NEG_FLIP": (BLOCK, "{n} impression item(s) reverse a negation in the findings"),
    "CRIT_MISS": (BLOCK, "{n} critical finding(s) in the findings are absent from the impression"),
    "CRIT_UNGROUNDED": (
        BLOCK,
        "{n} critical finding(s) in the impression are not mentioned in the findings",
    ),
    "FOREIGN_FINDING": (
        BLOCK,
        "{n} impression finding(s) of a body region the exam does not cover are not in the "
        "findings",
    ),
    "UNGROUNDED": (WARN, "{n} impression finding(s) are not mentioned in the findings"),
    "SEX_MISMATCH": (WARN, "{n} organ mention(s) are inconsistent with the recorded patient sex"),
    "EXAM_MISMATCH": (WARN, "{n} body part mention(s) lie outside the examined region"),
    "FOLLOWUP_MISSING": (WARN, "{n} finding(s) warrant a follow-up recommendation; none given"),
    "COMPARE_NO_PRIOR": (WARN, "{n} comparison term(s) used but no prior study is available"),
}


@dataclass(frozen=True)
class CheckContext:
    """What is known about the exam and patient; every field is optional."""

    exam: str | None = None
    patient_sex: str | None = None
    patient_age: float | int | str | None = None
    comparison: str | None = None  # None = unknown; "" or "None" = no prior study
    indication: str | None = None  # the INDICATION / HISTORY text, None = unknown


Span = dict[str, object]


def _span(source: str, start: int, end: int) -> Span:
    return {"source": source, "start": start, "end": end}


def _imp(m: Mention) -> Span:
    return _span("impression", m.start, m.end)


def _fnd(m: Mention) -> Span:
    return _span("findings", m.start, m.end)


def _affirmed(parsed: Parsed, kinds: Iterable[str] = ("finding",)) -> list[Mention]:
    return [m for m in parsed.mentions if m.kind in kinds and not m.negated]


@lru_cache(maxsize=1024)
def related_heads(head: str) -> frozenset[str]:
    """``head`` plus the heads an impression may use for it, in either direction (cached: it
    is asked once per impression mention and scans the whole INFERRED_FROM table)."""
    out = {head} | set(lx.INFERRED_FROM.get(head, ()))
    out |= {key for key, values in lx.INFERRED_FROM.items() if head in values}
    return frozenset(out)


def _sides_by_head(mentions: Iterable[Mention]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in mentions:
        out.setdefault(m.head, set()).update(m.side_set)
    return out


@lru_cache(maxsize=64)
def _parsed_once(text: str) -> Parsed:
    """The exam name or the history, parsed once per text: every candidate of a report is
    checked against the same ones (read only, never changed)."""
    return parse(text)


def check_laterality(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """LAT_CONTRA: an impression side the findings never give that item; LAT_DROP: side lost.
    UNGROUNDED instead of LAT_CONTRA when the impression states the item on the findings' side
    as well: "Right nodule ... Left nodule" beside a right nodule only is no swap but an extra
    nodule the findings never describe."""
    kinds = ("finding", "anatomy")
    # The exam name is evidence too ("Right upper quadrant ultrasound", "... LOWER EXTREMITY LEFT").
    f_sides = _sides_by_head(_affirmed(f, kinds) + _affirmed(_parsed_once(ctx.exam or ""), kinds))
    contra: list[Span] = []
    extra: list[Span] = []
    dropped: list[Span] = []
    imp_heads_with_side = {m.head for m in _affirmed(i, kinds) if m.side_set}
    f_unsided = {m.head for m in _affirmed(f) if not m.side_set}
    exam_side = _exam_side(ctx.exam)
    implied = _implied_sides(f)

    def known_sides(m: Mention) -> set[str]:
        # The head's own sides; a related head's ("pneumonia" for "consolidation") only when
        # the findings never give the head itself a side.
        heads = {m.head} if m.kind == "anatomy" or f_sides.get(m.head) else related_heads(m.head)
        known = set().union(*(f_sides.get(h, set()) for h in heads))
        # a diagnosis its signs state on one side is on that side too
        return known | implied.get(m.head, set())

    right_side = {m.head for m in _affirmed(i) if m.side_set and m.side_set <= known_sides(m)}
    # a part the findings also name without a side ("middle cerebral artery", "cerebellar")
    # may lie on either side: "left MCA territory" beside "right cerebellar" is no swap
    f_unsided_parts = {m.head for m in _affirmed(f, ("anatomy",)) if not m.side_set}
    for m in _affirmed(i, kinds):
        known = known_sides(m)
        if m.kind == "anatomy" and (m.head in f_unsided_parts or m.head in _NAMED_BY_SIDE):
            continue
        if m.side_set:
            if known and m.side_set - known:
                (extra if m.head in right_side else contra).append(_imp(m))
        elif (
            m.kind == "finding"
            and m.head not in imp_heads_with_side
            and f_sides.get(m.head)
            and m.head not in f_unsided
        ):
            dropped.append(_imp(m))
            imp_heads_with_side.add(m.head)
    contra += _measured_on_the_other_side(f, i, contra + extra)
    flagged = {(s["start"], s["end"]) for s in contra + extra}
    for chunk in chunk_side_contradictions(f, i):
        if not any(chunk.start <= a < chunk.end for a, _ in flagged):
            contra.append(_span("impression", chunk.start, chunk.end))
    if exam_side:  # a one-sided exam: every side in the impression must be that side
        flagged = {(s["start"], s["end"]) for s in contra}
        for m in i.mentions:
            if m.side_set - exam_side and (m.start, m.end) not in flagged:
                contra.append(_imp(m))
    return {"LAT_CONTRA": contra, "LAT_DROP": dropped, "UNGROUNDED": extra}


# Parts whose side is part of their name, not a place: the right heart, the left ventricle.
_NAMED_BY_SIDE = frozenset({"cardiac chamber"})


def _measured_on_the_other_side(f: Parsed, i: Parsed, contra: list[Span]) -> list[Span]:
    """Impression lengths set on a part at a side where the findings give that length to the
    same part on the other side only: "5.6 cm left ovarian teratoma" when the 5.6 cm lesion
    lies in the right ovary, whatever the lesion is called."""
    f_places = _places_by_segment(f)
    sides_of: dict[tuple[float, str], set[str]] = {}
    for x in f.measurements:
        for part, sides in f_places.get(x.segment, ()):
            sides_of.setdefault((round(x.mm, 1), part), set()).update(sides)
    i_places = _places_by_segment(i)
    out = []
    for m in i.measurements:
        for part, sides in i_places.get(m.segment, ()):
            stated = sides_of.get((round(m.mm, 1), part))
            if sides and stated and not sides & stated:
                span = _span("impression", *i.segments[m.segment])
                if not _overlaps(span, contra) and span not in out:
                    out.append(span)
    return out


def _implied_sides(f: Parsed) -> dict[str, set[str]]:
    """Sides the findings give a finding through its sentence only: a sentence naming one
    side and no finding with a side of its own speaks of that side ("Acute infarct with
    restricted diffusion in the right cerebellar hemisphere"; "The right vertebral artery
    shows an intimal flap"), for its findings and the diagnoses its signs state."""
    low = lower_same_length(f.text)
    heads_at: dict[int, set[str]] = {}
    sided: set[int] = set()
    for m in _affirmed(f):
        heads_at.setdefault(m.segment, set()).add(m.head)
        if m.side_set:
            sided.add(m.segment)
    signed_at: dict[int, set[str]] = {}
    for sign in affirmed_signs(f):
        signed_at.setdefault(_segment_at(f, sign.start), set()).add(sign.head)
    out: dict[str, set[str]] = {}
    for segment in heads_at.keys() | signed_at.keys():
        # a sign has no side of its own: a sentence naming one side gives it that side even
        # where a finding of the sentence has its own ("crescentic collection along the right
        # convexity ... effacing the right sulci")
        heads = signed_at.get(segment, set())
        if segment not in sided:
            heads = heads | heads_at.get(segment, set())
        sides = _segment_sides(low, f, segment)
        if len(sides) == 1 and sides <= {"left", "right"}:
            for head in heads:
                out.setdefault(head, set()).update(sides)
    return out


def _segment_sides(low: str, p: Parsed, segment: int) -> frozenset[str]:
    """The sides a sentence names, else the one its line's header names ("LEFT KIDNEY: 11 cm.
    Marked pelvicaliectasis.")."""
    s0, s1 = p.segments[segment]
    sides = frozenset(lx.SIDE_WORDS[w.group(1)] for w in SIDE_RE.finditer(low, s0, s1))
    if not sides and (header := header_side_at(low, s0)):
        return frozenset({header})
    return sides


def sign_places(f: Parsed) -> dict[str, list[frozenset[str]]]:
    """Per diagnosis, the sides of the findings sentences holding an affirmed sign stating it
    (the sentence's one side or its line header's; none when it names no side; a sentence naming
    both sides places no sign): the sign states its diagnosis there as a named finding would."""
    low = lower_same_length(f.text)
    out: dict[str, list[frozenset[str]]] = {}
    for sign in affirmed_signs(f):
        if not sign.states:
            continue  # a supporting sign ("absent flow") may be of another diagnosis
        sides = _segment_sides(low, f, _segment_at(f, sign.start))
        if len(sides) > 1:
            continue  # a sentence naming both sides does not place its sign
        out.setdefault(sign.head, []).append(sides)
    return out


def _signed_at(m: Mention, signed: dict[str, list[frozenset[str]]]) -> bool:
    """Whether a findings sign stating ``m``'s diagnosis (or a related one) lies at its place."""
    return any(
        same_place(m.side_set, sides) for h in related_heads(m.head) for sides in signed.get(h, ())
    )


_SIDES = (stem("left"), stem("right"))


def _one_side(stems: frozenset[str]) -> str | None:
    sides = [s for s in _SIDES if s in stems]
    return sides[0] if len(sides) == 1 and stem("bilateral") not in stems else None


def chunk_side_contradictions(f: Parsed, i: Parsed) -> list[Chunk]:
    """Affirmed impression chunks on one side whose words the findings affirm only on the
    other side, for any wording ("erosions at the left MCP joints" where the findings have
    them under "Right hand:"): the lexicon-free half of LAT_CONTRA."""
    f_chunks = [c for c in distinct_chunks(read(f).chunks) if c.polarity == POSITIVE]
    judged: dict[tuple, bool] = {}
    out = []
    for chunk in read(i).chunks:
        key = _content_key(chunk)
        if key not in judged:
            side = _one_side(chunk.stems)
            core = chunk.core
            contradicts = False
            if chunk.polarity == POSITIVE and side is not None and len(core) >= 2:
                sides = {_one_side(c.about) for c in f_chunks if core <= c.about}
                contradicts = bool(sides) and side not in sides and None not in sides
            judged[key] = contradicts
        if judged[key]:
            out.append(chunk)
    return out


def _content_key(chunk: Chunk) -> tuple:
    """What a chunk says, apart from where it stands: the checks judge each once."""
    return (chunk.polarity, chunk.stems, chunk.header)


def distinct_chunks(chunks: tuple[Chunk, ...]) -> list[Chunk]:
    """One chunk per content (a report repeating a clause is compared once, not once per
    repetition: linear time on adversarial reports)."""
    return list({_content_key(c): c for c in reversed(chunks)}.values())[::-1]


_EXAM_SIDE_RE = re.compile(r"\b(left|right|bilateral|both)\b", re.I)


def _exam_side(exam: str | None) -> frozenset[str]:
    """{"left"} or {"right"} for a one-sided limb exam ("US VENOUS DUPLEX LEFT"), else empty.

    Only limb exams: a "right upper quadrant" ultrasound still shows the left hepatic lobe.
    """
    if "extremity" not in exam_regions(exam):
        return frozenset()
    sides = {m.group(1).lower() for m in _EXAM_SIDE_RE.finditer(exam or "")}
    return frozenset(sides) if len(sides) == 1 and sides <= {"left", "right"} else frozenset()


def check_numbers(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """NUM_MISMATCH: an impression length (in mm) that no findings length equals, once rounded
    to the impression's own last digit (`_rounding_slack`). A threshold or a guideline's range
    is no measurement of the patient (`_criterion`)."""
    known = {round(m.mm, 1) for m in f.measurements}
    means = _dimension_means(f)
    bad = []
    low = lower_same_length(i.text)
    for m in i.measurements:
        if round(m.mm, 1) in known or _criterion(low, i.segments[m.segment], m):
            continue
        if _INSTRUCTION_BEFORE_RE.search(low, max(0, m.start - 40), m.start):
            continue  # "consider withdrawing 1-2 cm": an instruction, no measurement
        if _DEVICE_AFTER_RE.match(low, m.end):
            continue  # "a 42 cm, 5 Fr PICC": the device's size
        changed = _CHANGE_BY_RE.search(low, max(0, m.start - 40), m.start) or (
            _CHANGE_AFTER_RE.match(low, m.end)
        )
        if changed and any(abs(abs(a - b) - m.mm) < 0.05 for a in known for b in known):
            continue  # "enlarged by 5 mm": the difference of two findings lengths
        if _MEAN_BEFORE_RE.search(low, max(0, m.start - 30), m.start) and any(
            abs(mean - m.mm) < 0.05 for mean in means
        ):
            continue  # "mean 5.5 mm" of a "6 x 5 mm" nodule
        slack = _rounding_slack(i.text, m)
        if slack and any(abs(m.mm - x) <= slack + 1e-6 for x in known):
            continue
        bad.append(_span("impression", m.start, m.end))
    bad += _quantity_mismatches(f, i)
    return {"NUM_MISMATCH": bad}


def _quantity_mismatches(f: Parsed, i: Parsed) -> list[Span]:
    """Impression volumes (mL, cc) and velocities (cm/s) that no findings quantity of the same
    kind equals once rounded to the impression's own last digit; judged only where the findings
    give that kind at all. A bound or a range ("velocities below 180-200 cm/s") is a criterion."""
    f_low = lower_same_length(f.text)
    low = lower_same_length(i.text)
    out = []
    for pattern in (_VOLUME_RE, _VELOCITY_RE):
        known = [float(v.group(1)) for v in pattern.finditer(f_low)]
        if not known:
            continue
        for v in pattern.finditer(low):
            value = float(v.group(1))
            decimals = len(v.group(1).partition(".")[2])
            slack = 0.5 * 10**-decimals
            if _APPROXIMATE_RE.search(low, max(0, v.start() - 20), v.start()):
                slack = max(slack, 0.1 * value)
            before = low[max(0, v.start() - 30) : v.start()]
            if (
                _THRESHOLD_BEFORE_RE.search(before)
                or _BOUND_BEFORE_RE.search(before)
                or _CRITERION_BEFORE_RE.search(before)
                or _RANGE_NEAR_RE.search(low, max(0, v.start() - 12), min(len(low), v.end() + 4))
                or _GIVEN_RE.search(low, max(0, v.start() - 30), min(len(low), v.end() + 20))
            ):
                continue  # a threshold, or a volume given ("flush with 10 mL saline")
            if not any(abs(value - k) <= slack + 1e-9 for k in known):
                out.append(_span("impression", v.start(), v.end()))
    return out


def _dimension_means(f: Parsed) -> set[float]:
    """The means of the dimensions of each findings length chain ("6 x 5 mm": 5.5)."""
    chains: list[list[float]] = []
    previous: Measurement | None = None
    for x in sorted(f.measurements, key=lambda x: x.start):
        joined = previous is not None and _BY_RE.fullmatch(f.text, previous.end, x.start)
        if joined:
            chains[-1].append(x.mm)
        else:
            chains.append([x.mm])
        previous = x
    return {round(sum(v) / len(v), 2) for v in chains if len(v) > 1}


_BY_RE = re.compile(r"\s*(?:x|X|×|by)\s*")


# A length compared with a threshold ("greater than 3 cm", "4 mm or less").
_THRESHOLD_BEFORE_RE = re.compile(
    r"(?:\b(?:greater|more|less|smaller|larger|bigger|longer|shorter|thicker|thinner|wider)"
    r"\s+than|[<>≤≥]=?)\s*$"
)
# ... and in a sentence naming a guideline, a bound ("nodule under 1.5 cm"): the guideline's
_BOUND_BEFORE_RE = re.compile(
    r"\b(?:under|below|over|above|exceeding|at least|at most)(?:\s+the)?\s*$"
)
_THRESHOLD_AFTER_RE = re.compile(
    r"\s*(?:or|and)\s+(?:less|more|greater|smaller|larger|above|below)\b"
)
# A length a guideline's or a threshold's name introduces ("SVS guidance for 3.0-3.9 cm",
# "thresholds (3 mm and 15 mm)") or that names it ("the 5.5 cm repair threshold") is that
# criterion's; the patient's own length ("6.1 cm, above threshold for repair") is still held to
# the findings.
_CRITERION_NAME = r"(?:guidelines?|guidance|criteri(?:a|on)|thresholds?|cut-?offs?)"
_CRITERION_BEFORE_RE = re.compile(rf"\b{_CRITERION_NAME}\b(?:[^.;,]|\.(?=\d)){{0,20}}$")
_CRITERION_AFTER_RE = re.compile(rf"(?:\s+[a-z-]+){{0,2}}\s+{_CRITERION_NAME}\b")


def criterion_sentence(text: str) -> bool:
    """Whether a sentence states a threshold or a guideline's length ("a thickness of 4 mm or
    less carries a high negative predictive value"): a criterion, not the patient's state."""
    low = lower_same_length(text)
    return any(_criterion(low, (0, len(low)), m) for m in parse(text).measurements)


def _criterion(low: str, segment: tuple[int, int], m: Measurement) -> bool:
    """Whether the impression length ``m`` is a threshold or a guideline's, not the patient's."""
    s0, s1 = segment
    return bool(
        # a range or a bound in a sentence naming a guideline ("SVS guidance ... for aneurysms
        # of 4.0-4.9 cm"): the guideline's bands
        (
            (
                _RANGE_NEAR_RE.search(low, max(s0, m.start - 12), min(s1, m.end + 12))
                or _BOUND_BEFORE_RE.search(low, max(s0, m.start - 20), m.start)
            )
            and _GUIDANCE_RE.search(low, s0, s1)
        )
        or _THRESHOLD_BEFORE_RE.search(low, max(s0, m.start - 20), m.start)
        or _THRESHOLD_AFTER_RE.match(low, m.end, s1)
        or _CRITERION_BEFORE_RE.search(low, max(s0, m.start - 40), m.start)
        or _CRITERION_AFTER_RE.match(low, m.end, s1)
    )


_RANGE_NEAR_RE = re.compile(r"\d(?:\.\d+)?\s*(?:mm|cm)?\s*(?:-|–|to)\s*\d")
_GUIDANCE_RE = re.compile(rf"\b(?:{_CRITERION_NAME}|recommend\w*|per (?:the )?[a-z]{{2,6}}\b)")
_CHANGE_BY_RE = re.compile(
    r"\b(?:increas|enlarg|grow|grew|grown|decreas|shr[iu]nk|reduc|expand|progress)\w*"
    r"(?:\s+\w+){0,2}\s+by\s*$|\b(?:increase|decrease|growth|reduction|change) of\s*$"
)
# ... or named after it: "5 mm interval growth", "3 mm increase"
_CHANGE_AFTER_RE = re.compile(
    r"\s*(?:of\s+)?(?:interval\s+)?(?:increase|decrease|growth|enlargement|expansion|"
    r"reduction|shrinkage|change|translation|difference|motion|excursion)\b"
)
# A device's own size ("a 42 cm, 5 Fr double-lumen PICC") is no measurement of the patient.
_DEVICE_AFTER_RE = re.compile(
    r"[\s,]*(?:\d+(?:\.\d+)?\s*(?:fr|french|g|gauge)\b|(?:(?:single|double|triple|dual)"
    r"[\s-]lumen\s+|tunnel\w*\s+|power\s+)*(?:picc|catheter|sheath|needle|guidewire)s?\b)"
)
# A distance to move a tube or a line by is an instruction.
_INSTRUCTION_BEFORE_RE = re.compile(
    r"\b(?:consider|recommend\w*|suggest\w*|(?:could|should|can|may|to) be)\s+(?:\w+\s+){0,2}"
    r"(?:withdraw|advanc|retract|pull|reposition)\w*(?:\s+back)?\b[^.;]{0,20}$"
)
# A volume given rather than measured: a flush, an injection, contrast.
_GIVEN_RE = re.compile(
    r"\b(?:flush\w*|inject\w*|administ\w*|instill\w*|infus\w*|saline|contrast|lidocaine)\b"
)
# A volume ("core 21 mL", "prostate volume 86 cc"): held to the findings' volumes like a length.
_VOLUME_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:ml|cc|cm3|cm³)(?![\w])")
_VELOCITY_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*cm/s(?:ec)?(?![\w])")
# A mean of a findings length's dimensions: "6 x 5 mm" is "mean 5.5 mm".
_MEAN_BEFORE_RE = re.compile(r"\b(?:mean|average)(?:\s+diameter)?\s*(?:of\s*)?[:=]?\s*$")
_APPROXIMATE_RE = re.compile(r"\b(?:approximately|approx\.?|about|roughly|nearly|around)\s*$|~\s*$")
_NUMBER_RE = re.compile(r"\d+(?:\.(\d+))?")
# The coarsest last digit an exact impression length may be rounded to: a millimetre.
_FINEST_ROUNDING_MM = 1.0


def _rounding_slack(text: str, m: Measurement) -> float:
    """Half the unit of the last digit written, in mm: a findings length of 1.25 cm is "1.3 cm"
    in the impression, one of 12.6 mm is "13 mm". Only to the millimetre for an exact length,
    to any digit for one said to be approximate ("approximately 2 cm": 5 mm); 0 otherwise."""
    written = _NUMBER_RE.search(text, m.start, m.end)
    if written is None or float(written.group()) == 0:
        return 0.0
    unit_mm = 10 ** round(math.log10(m.mm / float(written.group())))  # 1 for mm, 10 for cm
    half_digit = 0.5 * unit_mm / 10 ** len(written.group(1) or "")
    approximate = _APPROXIMATE_RE.search(lower_same_length(text[max(0, m.start - 20) : m.start]))
    return half_digit if approximate or 2 * half_digit <= _FINEST_ROUNDING_MM else 0.0


# A sentence that goes on about the finding before it: "It measures ...", "Previously 4 mm".
_CONTINUES_RE = re.compile(
    r"\s*(?:\d|(?:it|this|these|they|which|previously|prior|measuring|measures|measured|"
    r"up from|down from|now|compared|on the prior|size)\b)",
    re.IGNORECASE,
)


Place = tuple[str, frozenset[str]]


@dataclass(frozen=True)
class _Sized:
    """Lengths the findings give a finding in one run of sentences, and the parts it names."""

    values: frozenset[float]
    places: frozenset[Place]


def _places_by_segment(parsed: Parsed) -> dict[int, set[Place]]:
    """Per segment, the parts it names with their sides ("left adrenal" -> adrenal, {left})."""
    out: dict[int, set[Place]] = {}
    for m in parsed.mentions:
        if m.kind == "anatomy":
            out.setdefault(m.segment, set()).add((m.head, m.side_set))
    return out


def heads_by_segment(parsed: Parsed) -> dict[int, set[str]]:
    """Per segment (sentence), the finding heads it affirms."""
    out: dict[int, set[str]] = {}
    for m in _affirmed(parsed):
        out.setdefault(m.segment, set()).add(m.head)
    return out


def _sized_by_head(parsed: Parsed) -> dict[str, list[_Sized]]:
    """Per affirmed finding head, each sentence stating it with the lengths of that sentence and
    of the sentences right after it that continue it ("It measures 6 mm. Previously 4 mm.");
    any other sentence ("The ascending aorta measures 4.2 cm.") ends the run."""
    heads_at = heads_by_segment(parsed)
    values_by_segment: dict[int, set[float]] = {}
    for x in parsed.measurements:
        values_by_segment.setdefault(x.segment, set()).add(round(x.mm, 1))
    places = _places_by_segment(parsed)
    out: dict[str, list[_Sized]] = {}
    segment = 0
    while segment < len(parsed.segments):
        heads = heads_at.get(segment)
        if not heads:
            segment += 1
            continue
        values = set(values_by_segment.get(segment, ()))
        end = segment + 1
        while end < len(parsed.segments) and end not in heads_at:
            start, stop = parsed.segments[end]
            if not _CONTINUES_RE.match(parsed.text[start:stop]):
                break
            values |= values_by_segment.get(end, set())
            end += 1
        if values:
            sized = _Sized(frozenset(values), frozenset(places.get(segment, ())))
            for head in heads:
                out.setdefault(head, []).append(sized)
        segment = end
    return out


def _places_meet(a: frozenset[Place] | set[Place], b: frozenset[Place]) -> bool:
    """Whether two sets of places share a part at sides that may agree: "renal" (no side of its
    own in "right renal calculus") meets "the right kidney"."""
    return any(pa == pb and same_place(sa, sb) for pa, sa in a for pb, sb in b)


def _same_sides(a: frozenset[Place] | set[Place], b: frozenset[Place]) -> bool:
    """Whether two sets of places give the same non-empty sides."""
    sides_a = set().union(*(sides for _, sides in a)) if a else set()
    sides_b = set().union(*(sides for _, sides in b)) if b else set()
    return bool(sides_a) and sides_a == sides_b


def check_binding(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """NUM_MISPLACED: an impression length the findings state, but for another finding: the
    3.4 cm of the right renal cyst given to the left renal solid mass. Judged per impression
    sentence, against the lengths the findings give the findings it names (a related head only
    when the findings give the head itself none) where they stand at the same part and side, or
    either names none: a sentence naming two findings, or a finding measured only elsewhere
    ("1.5 cm left adrenal nodule" beside a lung nodule), never fires. A sentence whose every
    finding the findings never mention (an invented "12 mm ovarian cyst" on a right upper
    quadrant ultrasound) fires for a length the findings give to a finding, unless that length
    stands in a findings sentence naming the same part on the same side (a renamed finding)."""
    f_sized = _sized_by_head(f)
    owned = {v for runs in f_sized.values() for run in runs for v in run.values}
    f_any = {m.head for m in f.findings()} | {sign.head for sign in affirmed_signs(f)}
    f_places = _places_by_segment(f)
    places_of_value: dict[float, set[Place]] = {}
    for x in f.measurements:
        places_of_value.setdefault(round(x.mm, 1), set()).update(f_places.get(x.segment, ()))
    i_places = _places_by_segment(i)
    i_heads = heads_by_segment(i)
    for sign in affirmed_signs(i):  # "3 mm leftward shift" measures the midline shift
        if sign.states:
            i_heads.setdefault(_segment_at(i, sign.start), set()).add(sign.head)
    bad = []
    for measurement in i.measurements:
        value = round(measurement.mm, 1)
        if value not in owned:
            continue
        heads = i_heads.get(measurement.segment, set())
        here = i_places.get(measurement.segment, set())
        own: set[float] = set()
        for head in heads:
            runs = [
                run
                for h in ((head,) if head in f_sized else related_heads(head))
                for run in f_sized.get(h, ())
            ]
            placed = [r for r in runs if not here or not r.places or _places_meet(here, r.places)]
            if not placed:
                # No run of the head at this very part ("midline shift" beside the "right
                # lateral ventricle", restated beside a "right convexity"): its lengths on the
                # same side are still its own.
                placed = [r for r in runs if _same_sides(here, r.places)]
            for run in placed:
                own |= run.values
        invented = bool(heads) and all(not (related_heads(h) & f_any) for h in heads)
        if (own and value not in own) or (
            invented and not here & places_of_value.get(value, set())
        ):
            bad.append(_span("impression", measurement.start, measurement.end))
    return {"NUM_MISPLACED": bad}


def same_place(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two mentions may describe the same thing: a side unknown on either, or sides overlap."""
    return not a or not b or bool(a & b)


def check_negation(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """NEG_FLIP: the impression negates what the findings affirm, or the reverse.

    Sides matter: "no DVT on the right" does not contradict "DVT on the left".
    """
    # Per head, per side set (at most four: none, left, right, both): which polarities the
    # findings state. Each impression mention then costs O(1), not O(findings).
    polarities: dict[str, dict[frozenset[str], set[bool]]] = {}
    elsewhere = _elsewhere_segments(f)
    for x in f.findings():
        if x.negated and x.segment in elsewhere:
            continue  # "Other levels show ... without stenosis" excepts the level described
        polarities.setdefault(x.head, {}).setdefault(x.side_set, set()).add(x.negated)
    bad = []
    told = reported_segments(i)
    signed = sign_places(f)
    for m in i.findings():
        if m.segment in told:
            continue
        by_sides = polarities.get(m.head, {})
        same: set[bool] = set()
        for sides, stated in by_sides.items():
            if same_place(m.side_set, sides):
                same |= stated
        if same and m.negated and False in same and not _relative_side(i, m):
            # A denial of what the findings affirm at its place (an unplaced one covers every
            # side: "Kidneys without hydronephrosis" beside a left one) is a flip unless it
            # repeats a findings denial of it ("No hilar adenopathy" beside an enlarged
            # subcarinal node; not "No thoracic adenopathy").
            flipped = True not in same or not (
                _repeats_a_denial(m, i, f)
                or _denies_another_part(m, i, f)
                or _denies_the_acute_kind_of_old_ones(m, i, f)
            )
        elif same:
            flipped = m.negated not in same or (not m.negated and _states_denied_kind(m, i, f))
        elif by_sides:  # only other sides: still a flip if the findings deny it everywhere
            every = set().union(*by_sides.values())
            flipped = not m.negated and every == {True}
        else:  # "subdural hematoma" where the findings say only "no intracranial hemorrhage"
            flipped = not m.negated and _denied_generically(m, polarities)
        if flipped and not m.negated and _signed_at(m, signed):
            continue  # "L kidney: pelvicalyceal dilatation" beside "R kidney: no hydronephrosis"
        if flipped and not (
            _narrowed_denial(m, i, f) if m.negated else _denied_only_narrowly(m, i, f)
        ):
            bad.append(_imp(m))
    bad += _denied_but_shown(f, i, told, bad)
    flagged = {m.segment for m in i.findings() if _imp(m) in bad}
    for chunk in chunk_flips(f, i):
        if chunk.segment not in flagged and chunk.segment not in told:
            flagged.add(chunk.segment)
            bad.append(_span("impression", chunk.start, chunk.end))
    return {"NEG_FLIP": bad}


# Words that narrow a denial to part of a finding, and what a findings statement of the same
# finding must say for the denial to leave it alone:
# - a degree ("No significant pericardial effusion" beside trace pericardial fluid): a lesser
#   degree is stated;
# - time ("No new effusion" beside a stable one): the finding is stated as known or old;
# - a kind ("No tension pneumothorax" beside a small one, "No occlusive thrombus" beside a
#   non-occlusive one, "No active extravasation" beside a hematoma): the findings never call it
#   that kind.
# - others ("No other fracture", "no additional level of cord compression"): the denial
#   excepts the one described, so any statement of it stands.
# An unqualified finding is not narrowed away ("No significant effusion" beside "Effusion."), and
# "acute" is not here: an unqualified infarct may be acute.
_LESSER = r"\b(?:trace|tiny|minimal|small|mild|minute|subtle|slight|trivial|physiologic)\b"
_KNOWN = (
    r"\b(?:stable|unchanged|chronic|old|persistent|persists|again|previously|known|residual|"
    r"remote|healed|prior|redemonstrat\w*|decreas\w*|improv\w*|similar)\b"
)
_OTHERS = ("other", "additional", "further", "another")
# a benign reading: "No suspicious adenopathy" beside a node "with fatty hilum preserved"
_BENIGN = (
    r"\b(?:benign|reactive|normal|preserved|non-?suspicious|unremarkable|"
    r"not enlarged|subcentimet\w*|physiologic|simple)\b"
)
_NARROWING: dict[str, re.Pattern[str] | None] = {
    **dict.fromkeys(
        ("significant", "substantial", "appreciable", "sizable", "gross", "frank", "definite"),
        re.compile(_LESSER),
    ),
    "large": re.compile(_LESSER.replace("physiologic", "physiologic|moderate")),
    **dict.fromkeys(("new", "enlarging", "worsening", "increasing"), re.compile(_KNOWN)),
    **dict.fromkeys(_OTHERS, re.compile("")),
    **dict.fromkeys(("suspicious", "pathologic", "pathological"), re.compile(_BENIGN)),
    **dict.fromkeys(
        (
            "occlusive",
            "displaced",
            "tension",
            "obstructing",
            "focal",
            "enhancing",
            "radiopaque",
            "radiodense",
            "drainable",
            "complicated",
            "active",
        ),
        None,
    ),
}
NARROWING_RE = re.compile(r"\b(?:" + "|".join(_NARROWING) + r")\b")
_CUE_RE = re.compile(r"\b(?:no|without|not|negative for|free of|absent)\b")


# A denial whose subject takes a predicate denies the predicate, not the subject: "No nodule
# meets criteria for FNA", "no lesion demonstrates restricted diffusion", "no node exceeds 1 cm".
DENIED_PREDICATE_RE = re.compile(
    r"(?:\s+(?!(?:and|or|but|as|since|while|with)\b)[\w-]+){0,3}?\s+"
    r"(?:meets?|meeting|requires?|requiring|warrants?|warranting|exceeds?|exceeding|"
    r"fulfil+s?|fulfil+ing|qualif(?:y|ies|ying)|reach(?:es|ing)?|demonstrat(?:es?|ing)|"
    r"show(?:s|ing)?|contain(?:s|ing)?|enhanc(?:es?|ing)|restrict(?:s|ing)?|measur(?:es?|ing))\b"
)


def _narrowed_denial(m: Mention, i: Parsed, f: Parsed, heads: frozenset[str] | None = None) -> bool:
    """A denial narrowed by a qualifier ("no new", "no significant", "no tension") to a part of
    the finding that no findings statement of it at that place affirms (`_NARROWING`), or to
    the subject of a predicate (`DENIED_PREDICATE_RE`). ``heads``: the findings' names of it
    (``m``'s own head by default; a generic denial's members)."""
    heads = heads or frozenset({m.head})
    low = lower_same_length(i.text)
    if DENIED_PREDICATE_RE.match(low, m.end, i.segments[m.segment][1]):
        return True
    narrowing = _denial_narrowing(low, i, m, NARROWING_RE)
    if not narrowing:
        return False
    if narrowing & set(_OTHERS) and not any(
        x.head == m.head and not x.negated for x in i.findings()
    ):
        return False  # "No further hemorrhage" excepts only a hemorrhage the impression states
    f_low = lower_same_length(f.text)
    for x in f.findings():
        if x.negated or x.head not in heads or not same_place(m.side_set, x.side_set):
            continue
        x0, x1 = f.segments[x.segment]
        if not narrowing_spares(narrowing, f_low[x0:x1]):
            return False
    return True


_ELSEWHERE_RE = re.compile(r"\b(?:other|remaining) levels\b")


def _elsewhere_segments(p: Parsed) -> set[int]:
    """Segments that speak of the levels the report does not describe ("Other levels show mild
    degenerative change without stenosis")."""
    low = lower_same_length(p.text)
    return {k for k, (s0, s1) in enumerate(p.segments) if _ELSEWHERE_RE.search(low, s0, s1)}


def _clause_stems(p: Parsed, m: Mention) -> frozenset[str]:
    """The content stems of ``m``'s clause up to its end, without ``m``'s own words."""
    low = lower_same_length(p.text)
    start = _clause_start(low, p, m)
    own = {st for st, _ in content_stems(low[m.start : m.end])}
    return frozenset(st for st, _ in content_stems(low[start : m.start])) - own


def _repeats_a_denial(m: Mention, i: Parsed, f: Parsed) -> bool:
    """Whether the impression denial ``m`` says no more than a findings denial of the same
    finding at its place: every word of that denial's clause is in ``m``'s clause."""
    said = _clause_stems(i, m)
    return any(
        _clause_stems(f, x) <= said
        for x in f.findings()
        if x.negated
        and x.head == m.head
        # a denial placed on a side is narrower than an unplaced one
        and (not x.side_set or bool(m.side_set) and m.side_set <= x.side_set)
    )


def _clause_parts(p: Parsed, m: Mention) -> set[str]:
    """The parts (lexicon anatomy) named in ``m``'s clause, up to its end."""
    start = _clause_start(lower_same_length(p.text), p, m)
    return {a.head for a in p.mentions if a.kind == "anatomy" and start <= a.start < m.end}


def _denies_the_acute_kind_of_old_ones(m: Mention, i: Parsed, f: Parsed) -> bool:
    """ "No acute fracture" where every fracture the findings affirm at its place is old or
    healed: the denial is of the acute kind, which the findings deny too."""
    low = lower_same_length(i.text)
    if not re.search(r"\b(?:acute|new)\b", low[_clause_start(low, i, m) : m.end]):
        return False
    shown = [
        x
        for x in f.findings()
        if not x.negated and x.head == m.head and same_place(m.side_set, x.side_set)
    ]
    return bool(shown) and not any(
        is_urgent(f, x) and _urgent_sentence(f, x.segment) for x in shown
    )


def _denies_another_part(m: Mention, i: Parsed, f: Parsed) -> bool:
    """Whether the impression denial names a part ("No vertebral body fracture") that no
    findings sentence affirming the finding names (fractures of the transverse processes)."""
    parts = _clause_parts(i, m)
    if not parts:
        return False
    parts_at: dict[int, set[str]] = {}
    for a in f.mentions:
        if a.kind == "anatomy":
            parts_at.setdefault(a.segment, set()).add(a.head)
    return not any(
        parts <= parts_at.get(x.segment, set())
        for x in f.findings()
        if not x.negated and x.head == m.head
    )


_RELATIVE_SIDE_RE = re.compile(r"\b(?:contralateral|ipsilateral|opposite|other side)\b")


def _relative_side(p: Parsed, m: Mention) -> bool:
    """Whether ``m`` is placed by a side relative to another ("no contralateral adenopathy")."""
    s0, s1 = p.segments[m.segment]
    return bool(_RELATIVE_SIDE_RE.search(lower_same_length(p.text[s0:s1])))


_CLAUSE_START_RE = re.compile(r"[^.;,:]*$")


def _clause_start(low: str, p: Parsed, m: Mention) -> int:
    """Where ``m``'s clause begins: after the last ".;,:" of its sentence before it."""
    return _CLAUSE_START_RE.search(low, p.segments[m.segment][0], m.start).start()


def _states_denied_kind(m: Mention, i: Parsed, f: Parsed) -> bool:
    """The impression states, in ``m``'s own clause, the very kind a findings denial of it at
    that place is narrowed to: "one enhancing lesion" beside "No enhancing lesion", whatever
    other lesions the findings describe."""
    low = lower_same_length(i.text)
    clause = low[_clause_start(low, i, m) : m.end]
    if _CUE_RE.search(clause):
        return False
    f_low = lower_same_length(f.text)
    for x in f.findings():
        if not x.negated or x.head != m.head or not same_place(m.side_set, x.side_set):
            continue
        narrowing = _denial_narrowing(f_low, f, x, NARROWING_RE)
        if narrowing & set(_OTHERS):
            continue  # "no other enhancing lesion" excepts the one described
        if any(_NARROWING[q] is None and _says_kind(q, clause) for q in narrowing):
            return True
    return False


def narrowing_spares(narrowing: set[str], said: str) -> bool:
    """Whether a statement (lower-cased ``said``) stays outside a denial narrowed by the
    ``narrowing`` qualifiers (`_NARROWING`): a lesser degree, a known time, a benign reading is
    stated, or the denied kind is not."""
    for q in narrowing:
        lesser = _NARROWING[q]
        if lesser is not None:
            if not lesser.search(said):
                return False
        elif _says_kind(q, said):
            return False
    return True


def _denial_narrowing(low: str, p: Parsed, m: Mention, qualifiers: re.Pattern[str]) -> set[str]:
    """The qualifiers between a denied mention's last negation cue and its end ("no new
    significant effusion": new, significant); empty without a cue. ``low``: ``p.text``
    lower-cased."""
    cues = list(_CUE_RE.finditer(low, p.segments[m.segment][0], m.start))
    if not cues:
        return set()
    return {q.group() for q in qualifiers.finditer(low, cues[-1].end(), m.end)}


# A kind said in other forms of its word: "shows enhancement", "the vein is occluded".
_KIND_FORMS = {
    "enhancing": r"enhanc\w*",
    "occlusive": r"occlu\w*",
    "obstructing": r"obstruct\w*",
    "displaced": r"displace\w*",
}
_KIND_DENIED_RE = re.compile(
    r"\b(?:no|not|without|absent|negative for|none|non)[\s-]+(?:\w+[\s-]+){0,2}$"
)


def _says_kind(qualifier: str, text: str) -> bool:
    """Whether ``text`` calls something by ``qualifier`` itself or another form of its word,
    unnegated ("acute", not "non-acute"; "shows enhancement", not "without enhancement")."""
    word = _KIND_FORMS.get(qualifier, qualifier)
    return any(
        not _KIND_DENIED_RE.search(text, max(0, m.start() - 30), m.start())
        for m in re.finditer(rf"(?<!non-)(?<!non)\b{word}\b", text)
    )


# A findings denial narrowed to the acute kind ("No acute infarct") leaves an old one alone,
# as "new" does ("no new territorial infarct" beside a chronic infarct, unchanged).
_KNOWN_RE = re.compile(_KNOWN)
# A denial of what is seen for certain ("no discrete fracture line", "no definite mass") leaves
# a hedged statement of it open: an occult fracture inferred from a fat pad sign.
_CERTAINTY = frozenset({"definite", "definitive", "discrete", "visible", "obvious", "evident"})
_FINDINGS_NARROWING_RE = re.compile(
    r"\b(?:acute|" + "|".join([*_NARROWING, *sorted(_CERTAINTY - set(_NARROWING))]) + r")\b"
)


def _denied_only_narrowly(m: Mention, i: Parsed, f: Parsed) -> bool:
    """The reverse of `_narrowed_denial`: the findings deny ``m``'s finding at its place only
    in denials narrowed by a qualifier ("no new ... infarct") that the impression statement
    stays outside of ("Chronic ... infarct, unchanged")."""
    denials = [
        x
        for x in f.findings()
        if x.negated and x.head == m.head and same_place(m.side_set, x.side_set)
    ]
    if not denials:
        return False
    f_low = lower_same_length(f.text)
    s0, s1 = i.segments[m.segment]
    said = lower_same_length(i.text[s0:s1])
    hedged = read_sentence(i.text[s0:s1]).uncertain
    for x in denials:
        narrowing = _denial_narrowing(f_low, f, x, _FINDINGS_NARROWING_RE)
        if not narrowing:
            return False
        for q in narrowing:
            if q in _CERTAINTY:
                if not hedged:  # "no discrete fracture line" denies a stated fracture
                    return False
                continue  # ... but leaves "most likely an occult fracture" open
            if _says_kind(q, said):
                return False  # the statement is of the denied kind ("decreased acute infarct")
            lesser = _KNOWN_RE if q == "acute" else _NARROWING[q]
            if lesser is not None and not lesser.search(said):
                return False
    return True


def _denied_but_shown(f: Parsed, i: Parsed, told: set[int], bad: list[Span]) -> list[Span]:
    """Impression denials of a diagnosis the findings show under another name: a member of a
    generic term ("No intracranial hemorrhage" beside a subdural hematoma, on the same side) or
    the specific signs of the diagnosis ("No acute infarct" beside restricted diffusion)."""
    shown = [x for x in f.findings() if not x.negated]
    signed = {s.head for s in affirmed_signs(f) if s.states and s.head in SPECIFIC}
    out = []
    for m in i.findings():
        if not m.negated or m.segment in told or _imp(m) in bad:
            continue
        # a superficial thrombosis is no deep one: "No DVT" beside it is the usual answer
        members = lx.CRITICAL_GENERIC.get(m.head, frozenset()) - {"superficial venous thrombosis"}
        if m.head in signed or any(
            x.head in members and same_place(m.side_set, x.side_set) for x in shown
        ):
            if members and _narrowed_denial(m, i, f, frozenset(members)):
                continue  # "No new bleed" beside a shrinking hematoma
            out.append(_imp(m))
    return out


def _contains(chunk: Chunk, core: frozenset[str], quals: frozenset[str]) -> bool:
    """Whether ``chunk`` speaks of everything ``core`` names, at a place ``quals`` allows."""
    return core <= chunk.about and not conflicting(quals, qualifiers(chunk.about))


def chunk_flips(f: Parsed, i: Parsed) -> list[Chunk]:
    """Impression chunks that reverse the polarity the findings give the same words, for any
    wording (the lexicon-free half of NEG_FLIP):
    - a denial ("negative Murphy sign", "intact menisci", "no cord signal abnormality") of what
      a findings chunk affirms, when no findings chunk about it at least as wide denies it too;
    - an affirmation of two or more content words that the findings only ever deny together.
    Each side is judged by its own negation scopes, so "no change" or "otherwise" do not count.
    """
    f_chunks = tuple(distinct_chunks(read(f).chunks))
    f_low = lower_same_length(f.text)
    i_low = lower_same_length(i.text)
    judged: dict[tuple, bool] = {}
    out: list[Chunk] = []
    for chunk in read(i).chunks:
        key = _content_key(chunk)
        if key not in judged:
            # "No suspicious adenopathy": a findings clause stated benign stands outside it
            narrowing = set()
            if chunk.denies:
                narrowing = set(NARROWING_RE.findall(i_low, chunk.start, chunk.end)) - set(_OTHERS)
            judged[key] = _flips(
                chunk,
                tuple(
                    c
                    for c in f_chunks
                    if not narrowing
                    or not narrowing_spares(narrowing, f_low[slice(*f.segments[c.segment])])
                ),
            )
        if judged[key]:
            out.append(chunk)
    return out


def _flips(chunk: Chunk, f_chunks: tuple[Chunk, ...]) -> bool:
    core = chunk.core
    quals = qualifiers(chunk.stems)
    if not core:
        return False
    same = [c for c in f_chunks if _contains(c, core, quals)]
    if not same:
        return False
    if chunk.denies:
        # only a findings clause that states something abnormal opposes a denial: "Normal
        # cervical length" is no flip of "Transvaginal length 38 mm"
        opposed = [c for c in same if c.polarity == POSITIVE and c.core - core and c.abnormal]
        # A denial answered by findings denials as wide as each affirmation is no flip.
        agreeing = [c for c in same if c.denies]
        unanswered = [
            c
            for c in opposed
            if not any(qualifiers(a.about) <= qualifiers(c.about) for a in agreeing)
        ]
        return bool(unanswered) and (len(core) >= 2 or chunk.polarity != "negated")
    if len(core) >= 2:
        return all(c.denies for c in same) and not _affirmed_loosely(f_chunks, core)
    return False


def _affirmed_loosely(f_chunks: tuple[Chunk, ...], core: frozenset[str]) -> bool:
    """Whether some affirmed findings chunk names all but one of ``core``'s words."""
    need = max(1, len(core) - 1)
    return any(c.polarity == POSITIVE and len(core & c.about) >= need for c in f_chunks)


_REPORTED_RE = re.compile(rf"\b(?:{COMMUNICATION_VERBS})\b[^.]*\b(?:to|with)\b")


# A sentence asking for a test to look for a finding ("Recommend MRI to assess for
# infarction") names the question, not a finding.
_ASKS_FOR_RE = re.compile(
    r"\s*(?:\d+[.)]\s*)?(?:recommend\w*|suggest(?!ive)\w*|advis\w*|consider)\b[^.;]{0,60}\b"
    r"(?:to|for)\s+(?:assess|evaluat\w*|exclude|rule out|look|further characteri[sz]\w*)\b"
)


def reported_segments(parsed: Parsed) -> set[int]:
    """Segments that report a communication ("discussed with the stroke team") or ask for a
    test ("Recommend MRI to assess for infarction"): no finding is stated there, whatever words
    they hold."""
    low = lower_same_length(parsed.text)
    return {
        index
        for index, (s0, s1) in enumerate(parsed.segments)
        if _REPORTED_RE.search(low, s0, s1) or _ASKS_FOR_RE.match(low, s0, s1)
    }


def affirmed_signs(parsed: Parsed) -> list[Sign]:
    """Signs of a diagnosis (``signs.SIGNS``) that no negation cue covers."""
    return list(_affirmed_signs(parsed.text, tuple(parsed.segments)))


@lru_cache(maxsize=256)
def _affirmed_signs(text: str, segments: tuple[tuple[int, int], ...]) -> tuple[Sign, ...]:
    """Cached per text: the findings are read once per report, not once per candidate."""
    low = lower_same_length(text)
    seg_starts = [a for a, _ in segments]
    out = []
    for sign in sign_matches(low):
        index = max(bisect_right(seg_starts, sign.start) - 1, 0)
        seg = segments[index] if segments else None
        # Affirmed only when no word of it is denied ("arteries ... without filling defect").
        if seg and not any(
            covered_by_negation(low, seg, pos) for pos in (sign.start, sign.end - 1)
        ):
            out.append(sign)
    return tuple(out)


@cache
def generics_of(head: str) -> tuple[str, ...]:
    """The generic critical terms that cover ``head`` ("hemorrhage" for "subdural hematoma")."""
    return tuple(g for g, members in lx.CRITICAL_GENERIC.items() if head in members)


def _denied_generically(m: Mention, polarities: dict[str, dict[frozenset[str], set[bool]]]) -> bool:
    """The findings never name ``m`` but deny, and never affirm, a generic term covering it."""
    for generic in generics_of(m.head):
        stated = [
            polarity
            for sides, polarity in polarities.get(generic, {}).items()
            if same_place(m.side_set, sides)
        ]
        if stated and set().union(*stated) == {True}:
            return True
    return False


_NON_URGENT = (
    r"old|remote|healed|sequelae?|postoperative|post-?surgical|expected|calcified|"
    r"mural thrombus|laminated thrombus|perilesional"
)
_NOT_ACUTE_RE = re.compile(rf"\b(?:{_NON_URGENT})\b[\w\s,-]{{0,30}}$")
# "chronic" makes an infarct non-urgent, but not a subdural hematoma (still reported).
_NOT_ACUTE_INFARCT_RE = re.compile(rf"\b(?:{_NON_URGENT}|chronic|lacunar)\b[\w\s,-]{{0,30}}$")
_ETT_MALPOSITION_RE = re.compile(
    r"\b(?:mainstem|bronchus|esophag\w*|too (?:low|high)|malposition\w*)"
)


def is_urgent(parsed: Parsed, m: Mention) -> bool:
    """False when a qualifier right before the mention makes it non-urgent ("old infarct"), or
    the rest of its sentence calls it unchanged ("Midline shift 2 mm to the right, unchanged.")."""
    seg_start, seg_end = parsed.segments[m.segment]
    before = lower_same_length(parsed.text[max(seg_start, m.start - 40) : m.start])
    pattern = _NOT_ACUTE_INFARCT_RE if m.head == "infarct" else _NOT_ACUTE_RE
    after = lower_same_length(parsed.text[m.end : seg_end])
    clause = _CLAUSE_END_RE.split(after, maxsplit=1)[0]  # its own clause only
    return not pattern.search(before) and not _UNCHANGED_AFTER_RE.search(clause)


_UNCHANGED_AFTER_RE = re.compile(r"\b(?:unchanged|stable|not new|similar to prior)\b")
_CLAUSE_END_RE = re.compile(r"[;]|\b(?:with|and|but|while|whereas)\b")


def _ett_malposition(parsed: Parsed) -> Span | None:
    """A segment placing the endotracheal tube in a bronchus or the esophagus."""
    searched: set[int] = set()  # each segment once: many tubes may share one huge segment
    for m in parsed.findings():
        if m.head == "endotracheal tube" and m.segment not in searched:
            searched.add(m.segment)
            s0, s1 = parsed.segments[m.segment]
            if _ETT_MALPOSITION_RE.search(lower_same_length(parsed.text[s0:s1])):
                return _fnd(m)
    return None


def check_critical(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """CRIT_MISS: an acute critical finding present in the findings, absent from the impression.

    Present means named (a lexicon mention), stated by its signs ("restricted diffusion" for an
    acute infarct, ``signs.SIGNS``), or an affirmed findings sentence with an acute cue
    ("fracture", "occluded", "acute", ...) that no impression sentence speaks of (shares a
    content word besides the cue and its place words)."""
    imp_pos = {m.head for m in _affirmed(i)}
    # only a sign that states a diagnosis speaks of it ("dilated loops, likely ileus" does not)
    imp_signs = {sign.head for sign in affirmed_signs(i) if sign.states}
    missing: dict[str, Span] = {}
    for m in _affirmed(f):
        if m.head in lx.CRITICAL and m.head not in missing and is_urgent(f, m):
            covering = {m.head, *generics_of(m.head)}
            # named, or stated by its sign: "3 mm leftward shift" carries the midline shift
            if not (covering & (imp_pos | imp_signs)):
                missing[m.head] = _fnd(m)
    allowed = _allowed_regions(ctx.exam)
    for sign in affirmed_signs(f):
        if not sign.states or sign.head not in lx.CRITICAL or sign.head in missing:
            continue
        region = SIGN_REGION.get(sign.head)
        if region and allowed and region not in allowed:
            continue  # restricted diffusion on a liver MRI states no infarct
        # covered by itself, a generic term, or a critical finding that implies it (a volvulus
        # obstructs; a fat-containing hernia says nothing of the obstruction)
        implied = {h for h in lx.INFERRED_FROM.get(sign.head, ()) if h in lx.CRITICAL}
        covering = {sign.head, *generics_of(sign.head), *implied}
        if covering & (imp_pos | imp_signs):
            continue
        segment = _segment_at(f, sign.start)
        done = {_segment_at(f, int(span["start"])) for span in missing.values()}
        if (
            segment not in done
            and _urgent_sentence(f, segment)
            and not _explained_otherwise(f, segment)
            and not _represented(f, segment, i, _sign_stems(f, sign))
        ):
            missing[sign.head] = _span("findings", sign.start, sign.end)
    # One span per sentence: a sentence already missing a named finding needs no other.
    done = {_segment_at(f, int(span["start"])) for span in missing.values()}
    for segment, cue in _acute_sentences(f):
        if segment not in done and not _represented(f, segment, i):
            missing[f"sentence {segment}"] = _span("findings", *cue)
    ett = _ett_malposition(f)
    if ett is not None and _ett_malposition(i) is None:
        missing["endotracheal tube malposition"] = ett
    return {"CRIT_MISS": list(missing.values())}


def _segment_at(parsed: Parsed, pos: int) -> int:
    starts = [a for a, _ in parsed.segments]
    return max(bisect_right(starts, pos) - 1, 0)


# Words that make a findings sentence acute enough that the impression must speak of it.
_ACUTE_CUE_RE = re.compile(
    r"\b(?:fractures?|fractured|dislocat\w*|subluxat\w*|occlu(?:sion|sive|ded)|"
    r"thromb(?:us|i|osis|osed)|emboli|embolus|embolism|ruptured?|rupturing|perforat\w*|"
    r"extravasat\w*|transect\w*|acute|acutely)\b"
)
# ... unless it says the finding is not new or not urgent.
_NOT_URGENT_SENTENCE_RE = re.compile(
    # (a mural or laminated thrombus lines an aneurysm or a chamber: no acute clot)
    r"\b(?:old|remote|healed|healing|chronic|sequelae?|post-?operative|post-?surgical|"
    r"mural thrombus|laminated thrombus|(?:partially )?thrombosed false lumen|"
    r"false lumen (?:is )?(?:partially )?thrombosed|perilesional (?:hemorrhage|haemorrhage)|"
    r"stable|unchanged|known|prior|previously|redemonstrat\w*|again)\b"
)
_CUE_STEMS = frozenset(
    stem(w)
    for w in (
        "fracture fractured dislocation subluxation occlusion occluded occlusive thrombus "
        "thrombosis emboli embolus embolism rupture perforation extravasation transection "
        "acute"
    ).split()
)


# A sentence giving a sign a benign cause: "the lucency corresponds to the gastric bubble".
_EXPLAINED_RE = re.compile(
    r"\b(?:corresponds? to|correspond with|represents?|due to|attributable to|related to|"
    r"artifact\w*|normal variant|gastric (?:air )?bubble|chilaiditi)\b"
)


def _explained_otherwise(parsed: Parsed, segment: int) -> bool:
    s0, s1 = parsed.segments[segment]
    return bool(_EXPLAINED_RE.search(lower_same_length(parsed.text[s0:s1])))


# ... but "not present previously" says the finding is new.
_NEWLY_RE = re.compile(
    r"\b(?:not|never|nor) (?:been )?(?:present|seen|visible|evident|identified|demonstrated)"
    r"(?: on)?(?: the)? (?:previously|prior|before|earlier)\b"
)


def _urgent_sentence(parsed: Parsed, segment: int) -> bool:
    s0, s1 = parsed.segments[segment]
    said = _NEWLY_RE.sub(" ", lower_same_length(parsed.text[s0:s1]))
    return not _NOT_URGENT_SENTENCE_RE.search(said)


def _acute_sentences(f: Parsed) -> list[tuple[int, tuple[int, int]]]:
    """(segment, cue span) of each findings sentence that affirms an acute cue."""
    low = lower_same_length(f.text)
    out = []
    for index, (s0, s1) in enumerate(f.segments):
        for cue in _ACUTE_CUE_RE.finditer(low, s0, s1):
            if not covered_by_negation(low, (s0, s1), cue.start()):
                if _urgent_sentence(f, index):
                    out.append((index, (cue.start(), cue.end())))
                break
    return out


_NEUTRAL_STEMS = frozenset(stem(w) for w in NEUTRAL_WORDS)


def _sign_stems(f: Parsed, sign: Sign) -> frozenset[str]:
    """The words of a sign that say what it shows ("intimal flap"; not "pulmonary artery",
    "left", "lower lobe": the place of a nodule as well)."""
    words = frozenset(s for s, _ in content_stems(lower_same_length(f.text[sign.start : sign.end])))
    words -= qualifiers(words)
    # a sign made of a verb and its organ only ("compressing the spinal cord") is those words
    return words - _NEUTRAL_STEMS or words


def _affirmed_stems(i: Parsed) -> list[frozenset[str]]:
    """Per impression sentence, the words of its clauses that affirm: a sentence that denies
    words ("No bowel obstruction.") does not speak of the findings sentence affirming them."""
    out: list[set[str]] = [set() for _ in i.segments]
    for chunk in read(i).chunks:
        if chunk.polarity == POSITIVE:
            out[chunk.segment] |= chunk.about
    return [frozenset(x) for x in out]


def _represented(
    f: Parsed, segment: int, i: Parsed, sign_words: frozenset[str] = frozenset()
) -> bool:
    """Whether some impression sentence speaks of findings sentence ``segment``: its affirmed
    clauses share two content words with it, or every content word of the sentence ("Acute
    appendicitis."), one of them neither an acute cue nor a place word, at places that do not
    conflict (left vs right). For a sentence stating a diagnosis by its sign, two shared words
    (or all, if fewer) must be of the sign itself (``sign_words``): "4 cm left ovarian cyst"
    speaks of the enlarged ovary without flow but leaves out what its absent flow states, and
    "T10 compression fracture" leaves out the tumour "compressing the spinal cord"."""
    ours = read(f).segment_stems[segment]
    for theirs in _affirmed_stems(i):
        shared = ours & theirs
        naming = shared - _CUE_STEMS - qualifiers(shared)
        if (
            (len(shared) >= 2 or (shared and shared == theirs))
            and naming
            and len(shared & sign_words) >= min(2, len(sign_words))
            and not conflicting(qualifiers(ours), qualifiers(theirs))
        ):
            return True
    return False


def check_grounding(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """UNGROUNDED: the impression states a finding the findings never mention at all.
    CRIT_UNGROUNDED instead when that finding is an acute critical one: an invented pulmonary
    embolism or hemorrhage would start an urgent call, so it blocks rather than warns.
    FOREIGN_FINDING instead when the finding, named in full, belongs to a region far from the
    exam's (diverticulitis on a head CT): not a summary term but an invention, so it blocks too."""
    # Grounded by an affirmed mention of the head or a related one, or by a sign of it
    # ("restricted diffusion" grounds an infarct); a findings denial grounds nothing.
    # A head the findings deny by name is NEG_FLIP's to report.
    f_affirmed = {m.head for m in _affirmed(f)} | {sign.head for sign in affirmed_signs(f)}
    f_denied = {m.head for m in f.findings() if m.negated}
    far = _far_regions_allowed(ctx.exam)
    found: dict[str, list[Span]] = {"UNGROUNDED": [], "CRIT_UNGROUNDED": [], "FOREIGN_FINDING": []}
    told = reported_segments(i)
    for m in _affirmed(i):
        if m.segment in told or m.head in f_denied:
            continue
        if related_heads(m.head) & f_affirmed:
            if _acute_only_of_old(f, i, m):  # "acute infarct" where the findings hold an old one
                found["CRIT_UNGROUNDED"].append(_imp(m))
            continue
        if m.head in lx.CRITICAL and is_urgent(i, m):
            # Indirect support (the impression places it where the findings describe an
            # abnormality, without naming it or its signs) only warns.
            code = "UNGROUNDED" if _indirectly_supported(f, i, m) else "CRIT_UNGROUNDED"
        elif _foreign(i, m, far):
            code = "FOREIGN_FINDING"
        else:
            code = "UNGROUNDED"
        found[code].append(_imp(m))
    return found


_SAYS_ACUTE_RE = re.compile(r"\b(?:acute|acutely|new|hyperacute)\b(?:[^.;,]*$)?")


def _acute_only_of_old(f: Parsed, i: Parsed, m: Mention) -> bool:
    """The impression calls a critical finding acute or new in its own clause, while every
    findings mention of it is old, remote or chronic and no sign states it: an acute infarct
    grounded only by "old lacunar infarct" is an invented emergency."""
    if m.head not in lx.CRITICAL:
        return False
    low = lower_same_length(i.text)
    if not _SAYS_ACUTE_RE.search(low, _clause_start(low, i, m), m.end):
        return False
    heads = related_heads(m.head)
    if any(s.head in heads and s.states for s in affirmed_signs(f)):
        return False
    named = [x for x in _affirmed(f) if x.head in heads]
    return bool(named) and not any(is_urgent(f, x) for x in named)


def _indirectly_supported(f: Parsed, i: Parsed, m: Mention) -> bool:
    """Whether the impression chunk of ``m`` (any chunk of its sentence, when the sentence
    hedges it) shares two naming words (not the mention's own words, no place word) with an
    affirmed findings chunk at a place that does not conflict, while the findings deny neither
    a finding ``m`` is related to nor a sign of it."""
    denied = {x.head for x in f.findings() if x.negated}
    low = lower_same_length(f.text)
    denied |= {
        sign.head
        for sign in sign_matches(low)
        if covered_by_negation(low, f.segments[_segment_at(f, sign.start)], sign.start)
    }
    if related_heads(m.head) & denied:
        return False
    said = re.findall(r"[a-z]+", i.text[m.start : m.end].lower())
    own = {stem(w) for w in said}
    in_segment = [c for c in read(i).chunks if c.segment == m.segment]
    chunks = [c for c in in_segment if c.start <= m.start < c.end]
    if not chunks:
        return False
    if _hedged(i, m, said):  # "opacity, possibly an infarct": the opacity's chunk places it
        chunks = in_segment
    f_chunks = [c for c in read(f).chunks if c.polarity == POSITIVE]
    for chunk in chunks:
        words = chunk.core - own
        quals = qualifiers(chunk.stems)
        if any(
            len(words & c.about) >= 2 and not conflicting(quals, qualifiers(c.about))
            for c in f_chunks
        ):
            return True
    return False


def _hedged(i: Parsed, m: Mention, said: list[str]) -> bool:
    """Whether the impression sentence of ``m`` hedges it ("possibly", "may represent")."""
    s0, s1 = i.segments[m.segment]
    return bool(set(said) & set(read_sentence(i.text[s0:s1]).hedged_words))


def check_sex(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """SEX_MISMATCH: an organ or a state (menopause, pregnancy, a PSA) of the other anatomical
    sex is named in the findings, the impression or the history (span source "indication")."""
    sex = sex_of(ctx.patient_sex)
    if sex not in ("female", "male"):
        return {"SEX_MISMATCH": []}
    wrong = lx.FEMALE_ONLY if sex == "male" else lx.MALE_ONLY
    states = _FEMALE_STATE_RE if sex == "male" else _MALE_STATE_RE
    female_heads = {"ectopic pregnancy"}
    bad: list[Span] = []
    texts = [("impression", i), ("findings", f)]
    if ctx.indication:  # the history too: "LMP 2 weeks ago" for a man is another patient's
        texts.append(("indication", _parsed_once(ctx.indication)))
    for source, parsed in texts:
        low = lower_same_length(parsed.text)
        for m in parsed.mentions:
            if (
                m.kind == "anatomy"
                and m.head in wrong
                and not _OCULAR_BEFORE_RE.search(low, max(0, m.start - 20), m.start)
            ) or (sex == "male" and m.kind == "finding" and m.head in female_heads):
                bad.append(_span(source, m.start, m.end))
        written = parsed.text if states is _MALE_STATE_RE else lower_same_length(parsed.text)
        bad.extend(_span(source, w.start(), w.end()) for w in states.finditer(written))
    return {"SEX_MISMATCH": bad}


# The eye has adnexa too: "orbital adnexa" in a man is no uterine adnexa.
_OCULAR_BEFORE_RE = re.compile(r"\b(?:ocular|orbital|periorbital|eye|lacrimal)\W+(?:\w+\W+)?$")
# States of one sex that name no organ: menstruation, menopause, pregnancy; a PSA.
_FEMALE_STATE_RE = re.compile(
    r"\b(?:lmp|last menstrual period|menses|menstrua\w*|(?:post|pre|peri)-?menopaus\w*|"
    r"menopaus\w*|pregnan\w*|gravida|g\d+\s?p\d+|postpartum|"
    # ... and the operations on the organs of one sex
    r"hysterectom\w*|oophorectom\w*|salpingectom\w*|salpingo-?oophorectom\w*|"
    r"ca?esarean|c-section|"
    # ... and what only a pregnancy or a female body holds ("fetal lobulation" is a kidney's)
    r"fetus|fetal(?! lobulation| origin| pca| type| posterior)|embryo(?!nal)\w*|amniotic|"
    r"crown-rump|yolk sac|iup|iud|"
    r"intrauterine device|vulva\w*|labia\w*|bartholin\w*)\b"
)
# (case-sensitive: "PsA" is psoriatic arthritis)
_MALE_STATE_RE = re.compile(
    r"\bPSA\b|\b[Pp]rostate[- ][Ss]pecific [Aa]ntigen\b|"
    r"\b(?:[Oo]rchi(?:d)?ectom\w*|[Pp]rostatectom\w*|[Vv]asectom\w*|TURP|BPH)\b|"
    r"\b(?:[Ss]permatocele|[Vv]aricocele|[Cc]ryptorchid\w*|[Gg]ynecomastia)\b"
)


def exam_regions(exam: str | None) -> set[str]:
    """Every region an exam covers ("CT chest abdomen pelvis" -> chest and abdomen)."""
    if not exam:
        return set()
    words = re.findall(r"[a-z]+", exam.lower())
    pieces = [exam, *words, *(" ".join(p) for p in zip(words, words[1:], strict=False))]
    return {r for r in map(exams.region_of, pieces) if r}


@lru_cache(maxsize=256)
def _allowed_regions(exam: str | None) -> frozenset[str]:
    """The regions an exam's report may talk about (its own and the adjacent ones on its
    images); empty when the exam is unknown, so nothing counts as outside."""
    regions = exam_regions(exam)
    if not regions:
        return frozenset()
    return frozenset(set().union(*(lx.REGION_ALLOWS.get(r, {r}) for r in regions)) | regions)


def _region(m: Mention) -> str | None:
    """The body region a mention belongs to, when the lexicon knows one."""
    if m.kind == "finding":
        return lx.FINDING_REGION.get(m.head)
    return lx.ANATOMY_REGION.get(m.head) if m.kind == "anatomy" else None


def _outside(m: Mention, allowed: frozenset[str]) -> bool:
    """Whether a mention names a body part or finding of a region the exam does not cover."""
    if not allowed:
        return False
    region = _region(m)
    return bool(region) and region not in allowed


def outside_exam(text: str, exam: str | None) -> bool:
    """Whether ``text`` names body parts or findings, all of regions the exam does not cover
    ("No deep venous thrombosis in the right lower extremity" on a gallbladder ultrasound)."""
    allowed = _allowed_regions(exam)
    placed = [m for m in parse(text).mentions if _region(m)]
    return bool(placed) and all(_outside(m, allowed) for m in placed)


@lru_cache(maxsize=256)
def _far_regions_allowed(exam: str | None) -> frozenset[str]:
    """`_allowed_regions` widened for FOREIGN_FINDING, which blocks: what a report of this exam
    may plausibly name at the edge of its images (ascites on a chest CT, a hip on an abdominal
    CT, leg symptoms on a spine MRI) does not count as far."""
    allowed = set(_allowed_regions(exam))
    if not allowed:
        return frozenset()
    for region in exam_regions(exam):
        allowed |= lx.FOREIGN_FINDING_ALSO_ALLOWS.get(region, frozenset())
    return frozenset(allowed)


def _foreign(i: Parsed, m: Mention, allowed: frozenset[str]) -> bool:
    """Whether impression finding ``m`` belongs to a region outside ``allowed``, judged only
    when the text names it in full: a bare "edema" or "effusion" is read as pulmonary edema or
    pleural effusion, but may as well be vasogenic edema or a knee effusion."""
    if not _outside(m, allowed):
        return False
    said = re.findall(r"[a-z]+", i.text[m.start : m.end].lower())
    return all(any(w.startswith(part) for w in said) for part in m.head.split())


def check_exam(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """EXAM_MISMATCH: the impression describes a body part the exam did not image."""
    allowed = _allowed_regions(ctx.exam)
    return {"EXAM_MISMATCH": [_imp(m) for m in i.mentions if _outside(m, allowed)]}


_RECOMMEND_RE = re.compile("|".join(re.escape(w) for w in lx.RECOMMENDATION_WORDS))
_CT_RE = re.compile(r"\bct\b")
_MONTHS_RE = re.compile(r"\bmonths?\b")


def _recommends(low: str) -> bool:
    """A follow-up recommendation: a recommendation word, or "CT ... months" in one sentence.

    "CT ... months" is found as the first "ct" of each sentence followed by a "month(s)", in
    one pass; the regex ``ct[^.]*months`` retried from every "ct" is quadratic on long text.
    """
    if _RECOMMEND_RE.search(low):
        return True
    for piece in low.split("."):
        ct = _CT_RE.search(piece)
        if ct and _MONTHS_RE.search(piece, ct.end()):
            return True
    return False


_NOT_SOLID_RE = re.compile(
    r"\b(?:calcified|ground[\s-]?glass|subsolid|part[\s-]?solid|benign|granuloma)"
)
_LUNG_RE = re.compile(r"\b(?:lung|lobe|lingula|pulmonary|perifissural|pleural|subpleural)")


def _age(ctx: CheckContext) -> float | None:
    try:
        return float(str(ctx.patient_age).strip().rstrip("yY").strip())
    except (TypeError, ValueError):
        return None


# A nodule compared with a prior is already under follow-up: Fleischner covers incidental ones.
_FOLLOWED_RE = re.compile(
    r"\b(?:stable|unchanged|increased|decreased|previously|prior|larger|smaller|interval)\b"
)


def check_followup(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """FOLLOWUP_MISSING: an incidental solid lung nodule >= 6 mm (Fleischner 2017, adults >= 35
    or age unknown, no history the table excludes) with no recommendation in the impression."""
    if _recommends(lower_same_length(i.text)) or fleischner_excluded(None, ctx.indication, None):
        return {"FOLLOWUP_MISSING": []}
    age = _age(ctx)
    chest_exam = "chest" in exam_regions(ctx.exam)
    bad: list[Span] = []
    for source, parsed in (("findings", f), ("impression", i)):
        sizes_by_segment: dict[int, list[float]] = {}
        for x in parsed.measurements:
            sizes_by_segment.setdefault(x.segment, []).append(x.mm)
        qualifies: dict[int, bool] = {}  # per segment: many nodules may share one segment
        for m in _affirmed(parsed):
            sizes = sizes_by_segment.get(m.segment)
            if not sizes or m.head != "nodule":
                continue
            if m.segment not in qualifies:
                s0, s1 = parsed.segments[m.segment]
                seg_text = lower_same_length(parsed.text[s0:s1])
                qualifies[m.segment] = (
                    max(sizes) >= 6.0
                    and (age is None or age >= 35)
                    and not _NOT_SOLID_RE.search(seg_text)
                    and not _FOLLOWED_RE.search(seg_text)
                    and (chest_exam or bool(_LUNG_RE.search(seg_text)))
                )
            if qualifies[m.segment]:
                bad.append(_span(source, m.start, m.end))
        if bad:
            break  # one section is enough to show the gap
    return {"FOLLOWUP_MISSING": bad}


_COMPARE_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in lx.COMPARISON_WORDS) + r")(?![\w-])"
)


def no_prior(comparison: str | None) -> bool:
    """True when the COMPARISON field says there is no prior study (None = unknown)."""
    if comparison is None:
        return False
    value = " ".join(comparison.lower().split()).rstrip(".")
    return value in lx.NO_PRIOR_VALUES or value.startswith(("none", "no prior", "not available"))


def check_comparison(f: Parsed, i: Parsed, ctx: CheckContext) -> dict[str, list[Span]]:
    """COMPARE_NO_PRIOR: "stable"/"unchanged"/"increased" with no prior study to compare."""
    if not no_prior(ctx.comparison):
        return {"COMPARE_NO_PRIOR": []}
    low = lower_same_length(i.text)
    return {
        "COMPARE_NO_PRIOR": [
            _span("impression", m.start(), m.end()) for m in _COMPARE_RE.finditer(low)
        ]
    }


CHECKS: tuple[Callable[[Parsed, Parsed, CheckContext], dict[str, list[Span]]], ...] = (
    check_laterality,
    check_numbers,
    check_binding,
    check_negation,
    check_critical,
    check_grounding,
    check_levels,
    check_carotid_grades,
    check_gestational_age,
    check_sex,
    check_exam,
    check_followup,
    check_comparison,
)


# Codes a lexicon check reports on an impression statement; the generic reading
# (`safety.wording`) adds a statement only where none of them did.
_STATEMENT_CODES = ("NEG_FLIP", "UNGROUNDED", "CRIT_UNGROUNDED", "FOREIGN_FINDING")


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    return any(
        o["source"] == span["source"] and o["start"] < span["end"] and span["start"] < o["end"]  # type: ignore[operator]
        for o in others
    )


def _warnings(f: Parsed, i: Parsed, ctx: CheckContext, doc: ReportDoc | None = None) -> list[dict]:
    """Every check on parsed findings and impression; one warning per code that fired,
    block-severity codes first. ``doc``, the findings' one reading, adds the generic reading of
    the impression's wording (`safety.wording`)."""
    spans_by_code: dict[str, list[Span]] = {}
    for check in CHECKS:
        for code, spans in check(f, i, ctx).items():
            if spans:
                spans_by_code.setdefault(code, []).extend(spans)
    told = [span for code in _STATEMENT_CODES for span in spans_by_code.get(code, ())]
    for code, spans in (check_wording(doc, f, i) if doc is not None else {}).items():
        new = [span for span in spans if not _overlaps(span, told)]
        if new:
            spans_by_code.setdefault(code, []).extend(new)
    warnings = []
    for code, (severity, template) in CODES.items():
        spans = spans_by_code.get(code)
        if spans:
            message = template.format(n=len(spans))
            warnings.append(
                {"code": code, "severity": severity, "message": message, "spans": spans[:MAX_SPANS]}
            )
    warnings.sort(key=lambda w: w["severity"] != BLOCK)
    return warnings


class FindingsChecker:
    """The findings of one report, parsed once, to check any number of impressions against:
    postprocess checks every candidate of a report and then the styled answer.

    ``read_wording`` adds the generic reading of `safety.wording` (report_check: a
    radiologist's own impression). Postprocess leaves it off: the findings gate holds the
    served answer to that same reading word by word and removes what it would flag, and the
    candidate choice and item grounding stay on the lexicon checks they were measured with."""

    def __init__(
        self, findings: str, context: CheckContext | None = None, read_wording: bool = False
    ) -> None:
        self.findings = parse(findings or "")
        self.context = context or CheckContext()
        self.read_wording = read_wording

    @cached_property
    def doc(self) -> ReportDoc:
        """The findings' one reading, built on the first impression checked."""
        # imported here: reading.doc reads critical completion, which reads these checks
        from python_models.reading.doc import read_report

        return read_report(self.findings.text, self.context.exam)

    def __call__(self, impression: str) -> list[dict]:
        doc = self.doc if self.read_wording else None
        return _warnings(self.findings, parse(impression or ""), self.context, doc)


def checker_for_context(findings: str, context: Mapping[str, Any]) -> FindingsChecker:
    """A `FindingsChecker` with the CheckContext read from the pipeline CONTEXT (what preprocess
    sends postprocess): the one place both the server and `impressions eval` build it."""
    return FindingsChecker(
        findings,
        CheckContext(
            exam=context.get("exam"),
            patient_sex=context.get("patient_sex"),
            patient_age=context.get("patient_age"),
            comparison=context.get("comparison"),
            indication=context.get("indication"),
        ),
    )


def run_checks(
    findings: str,
    impression: str,
    context: CheckContext | None = None,
    read_wording: bool = False,
) -> list[dict]:
    """Run every check; one warning per code that fired, block-severity codes first."""
    return FindingsChecker(findings, context, read_wording)(impression)


def run_checks_for_context(
    findings: str, impression: str, context: Mapping[str, Any]
) -> list[dict]:
    """`run_checks` with the CheckContext read from the pipeline CONTEXT."""
    return checker_for_context(findings, context)(impression)
