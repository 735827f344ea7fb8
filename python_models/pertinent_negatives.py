"""The clinical question of the exam answered in the impression when the findings answer it.

Some exams are ordered to answer one question: a CT pulmonary angiogram (is there a pulmonary
embolism?), a lower-extremity venous duplex (is there a deep venous thrombosis, on each leg
examined?), and, once a head CT shows anything, whether any of it is a hemorrhage. The
referring clinician reads the impression for that answer, so it must be there even when it is
negative. The demo model often drops the negative ("Mild centrilobular emphysema." for a PE
study whose findings say "no embolus identified"), or writes a generic "No acute abnormality."
for a normal duplex. postprocess (when `pertinent_negatives` is on) adds the negative answer
from the small versioned table below, only when

- the exam's procedure (the exam description up to any history, "prior", comma or semicolon)
  is one the table names; a sided exam (venous duplex of the left leg) is answered for its side;
- a findings sentence denies the finding in so many words: a plain denial ("No pulmonary
  embolism", "Negative for DVT in the left leg", "no embolus identified"), or the table's
  normal-study wording ("the left leg veins are compressible"); a denial with a qualifier ("no
  central embolus", "no new DVT", "no other embolus", "no interval change in the embolus") or of
  one subtype only ("No epidural hematoma" for the hemorrhage question) does not count;
- no findings sentence says anything positive about it on that side: an affirmed finding, a word
  of the finding outside a plain denial ("subsegmental emboli", "intraventricular blood"), or
  the table's abnormal wording ("noncompressible", "partially compressible", "occlusive");
- the impression says nothing about it on that side, and, for a question asked only when there
  is something to explain (head CT), the impression states a finding.

The answer goes after the items stating findings and before the other negatives; a bare
"No acute abnormality." gives way to it, and the model's own one-leg denial is folded into "in
either lower extremity" when the findings deny both legs. A warn-level NEGATIVE_ADDED warning
points at the findings sentences that gave the answer. Nothing positive is ever added; in doubt
nothing is added at all.

The INDICATION asks too (`indication_questions`): a finding it names ("?PTX", "eval for
appendicitis") is answered by the same rules, in the table's wording for a table finding and
"No <finding>." otherwise; never a sided question, never one whose answer names a region the
study does not cover.

The findings and the exam are read from the report's one reading
(`python_models.reading.doc.ReportDoc`, postprocess's `Draft.doc`): its sentences and their
lexicon parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from python_models.critical_completion import LABEL_PATTERN, negative_only
from python_models.item_grounding import NOTHING_LEFT
from python_models.reading.regions import regions_named
from python_models.safety.checks import related_heads
from python_models.safety.mentions import Mention, parse
from python_models.style.items import (
    Item,
    render,
    split_items,
    strip_period,
)
from python_models.style.profile import StyleRules

if TYPE_CHECKING:  # reading.doc imports the modules this one stands on
    from python_models.reading.doc import ReportDoc

TABLE_VERSION = "2026-12"
GENERIC_NORMAL = strip_period(NOTHING_LEFT).lower()  # gives way to a specific answer
_DEFAULT_LAYOUT = StyleRules()
_LABEL_RE = re.compile(LABEL_PATTERN)
_SIDES = frozenset({"left", "right"})
_MAX_EXAM = 200  # an exam description longer than this is not a procedure name
_MAX_INDICATION = 400  # a clinical history, not a report
# The procedure ends where history or a comparison starts ("CT chest, history of PE").
_PROCEDURE_END_RE = re.compile(
    r"[,;:(]|\b(?:history|hx|prior|indication|for|r/o|rule out|evaluate|eval)\b", re.IGNORECASE
)
# A lexicon denial with one of these words before the finding is not a plain "no": "no new
# DVT", "no other embolus", "no central pulmonary embolism".
_QUALIFIER_RE = re.compile(
    r"\b(?:new|other|additional|further|central|proximal|main|lobar|significant|large|"
    r"interval|change|changed|residual|chronic|known|definite|occlusive|remaining)\b",
    re.IGNORECASE,
)
_SIDE_WORD_RE = re.compile(r"\b(left|right|bilateral|both|either)\b", re.IGNORECASE)
# A sentence that leaves the question open on its side: the answer is not given there.
_DOUBT_RE = re.compile(
    r"\bnot\s+(?:well\s+)?(?:visualized|imaged|evaluated|assessed|included)\b|"
    r"\bnon-?diagnostic\b|\blimited\b|\bsuboptimal\b|\bcannot\s+be\s+(?:excluded|evaluated)\b|"
    r"\bindeterminate\b|\bequivocal\b|\bobscured\b|\bnot\s+excluded\b",
    re.IGNORECASE,
)
_VEIN_RE = re.compile(r"\b(?:veins?|venous)\b", re.IGNORECASE)
_ARTERY_RE = re.compile(r"\barter\w*", re.IGNORECASE)

Bounds = tuple[int, int]


@dataclass(frozen=True)
class Question:
    """One exam's clinical question, how findings speak of it, and its negative answer."""

    name: str
    exam: re.Pattern[str]  # procedures that ask it
    heads: frozenset[str]  # lexicon heads that are (part of) the finding: affirmed = positive
    denial_heads: frozenset[str]  # a negated mention of one of these is a plain denial
    signal: re.Pattern[str]  # words of the finding: outside a denial, they are positive
    answer: str  # the negative answer; "{side}" filled in for a sided question
    denial: re.Pattern[str] | None = None  # plain denial wording the lexicon does not read
    normal: re.Pattern[str] | None = None  # normal-study wording that answers it (veins)
    abnormal: re.Pattern[str] | None = None  # wording that is positive on its own
    sided: bool = False
    both_sides: str = ""  # the answer for both sides at once (sided questions)
    when_normal: bool = True  # also asked when the impression states no finding


_DVT_ABNORMAL = re.compile(
    r"\b(?:non-?compressib\w*|incompressib\w*|not\s+(?:fully\s+)?compressib\w*|"
    r"(?:partially|poorly|minimally|partly)\s+compressib\w*|non-?occlusive|occlu\w*|"
    r"echogenic|intraluminal|filling\s+defects?|absent|reduced|diminished|decreased|"
    r"abnormal|lack\s+of|loss\s+of|sluggish|monophasic|no\s+flow|distended)\b",
    re.IGNORECASE,
)
_DVT_NORMAL = re.compile(
    r"\b(?:compressib\w*|patent|normal\s+(?:color\s+)?flow|augmentation)\b", re.I
)


def _dvt_question(limb: str, limb_words: str) -> Question:
    """The DVT question of a venous duplex of the lower or the upper extremities."""
    return Question(
        "deep vein thrombosis",
        re.compile(rf"\b(?:venous|veins?|duplex)\b.{{0,60}}\b(?:{limb_words})\b", re.I),
        related_heads("deep vein thrombosis"),
        frozenset({"deep vein thrombosis"}),
        re.compile(r"\b(?:thromb\w*|clots?|DVT)\b", re.IGNORECASE),
        f"No deep venous thrombosis in the {{side}} {limb} extremity.",
        normal=_DVT_NORMAL,
        abnormal=_DVT_ABNORMAL,
        sided=True,
        both_sides=f"No deep venous thrombosis in either {limb} extremity.",
    )


QUESTIONS: tuple[Question, ...] = (
    Question(
        "pulmonary embolism",
        re.compile(
            r"\bPE\s+(?:protocol|study)\b|\bPE\s*$|\bpulmonary\s+angiogra\w*|"
            r"\b(?:CTA|angio\w*)\b.{0,40}\bchest\b|\bchest\b.{0,40}\b(?:CTA|angio\w*)\b|"
            r"\bCT\b.{0,40}\bpulmonary\s+embol\w*",
            re.IGNORECASE,
        ),
        related_heads("pulmonary embolism"),
        frozenset({"pulmonary embolism"}),
        re.compile(r"\b(?:embol\w*|filling\s+defects?|thromb\w*|clots?)\b", re.IGNORECASE),
        "No pulmonary embolism.",
        denial=re.compile(
            r"\b(?:no|without|negative\s+for)\s+(?:(?:evidence|signs?)\s+of\s+)?(?:acute\s+)?"
            r"(?:pulmonary\s+(?:arterial\s+)?)?(?:embol(?:us|i|ism|isms)|filling\s+defects?)"
            r"(?:\s+to\s+suggest\s+(?:acute\s+)?(?:pulmonary\s+)?embol\w*)?\b",
            re.IGNORECASE,
        ),
    ),
    _dvt_question("lower", r"lower\s+extremit\w*|legs?"),
    _dvt_question("upper", r"upper\s+extremit\w*|arms?"),
    Question(
        "aortic dissection",
        re.compile(
            r"\baort\w*|\bdissection\b|\b(?:CTA|angio\w*)\b.{0,20}\bchest\b.{0,20}\babd\w*",
            re.IGNORECASE,
        ),
        related_heads("aortic dissection"),
        frozenset({"aortic dissection"}),
        re.compile(r"\b(?:dissect\w*|intimal\s+flaps?|intramural\s+hematoma)\b", re.I),
        "No aortic dissection.",
    ),
    Question(
        "large vessel occlusion",
        re.compile(
            r"\b(?:CTA|MRA|angio\w*)\b.{0,40}\b(?:head|neck|brain|intracranial|carotids?|"
            r"circle\s+of\s+willis)\b|\b(?:head|neck|brain)\b.{0,40}\b(?:CTA|MRA|angio\w*)\b",
            re.IGNORECASE,
        ),
        frozenset(),
        frozenset(),
        re.compile(r"\b(?:occlu\w*|cut-?offs?|LVO)\b", re.IGNORECASE),
        "No large vessel occlusion.",
        denial=re.compile(
            r"\b(?:no|without|negative\s+for)\s+(?:evidence\s+of\s+)?(?:large\s+vessel\s+|"
            r"proximal\s+|arterial\s+|intracranial\s+)?(?:occlusions?|LVO)\b",
            re.IGNORECASE,
        ),
        normal=re.compile(r"\bpatent\b", re.IGNORECASE),
        abnormal=re.compile(r"\b(?:non-?opacif\w*|no\s+flow|absent\s+flow|abrupt)\b", re.I),
    ),
    Question(
        "fracture",
        re.compile(
            r"\b(?:XR|X-?rays?|radiograph\w*|CT|views?)\b.{0,40}\b(?:spine|cervical|thoracic\s+spine|"
            r"lumbar|sacrum|coccyx|wrist|hand|fingers?|thumb|elbow|forearm|humerus|shoulder|"
            r"clavicle|scapula|ribs?|knee|patella|ankle|foot|feet|toes?|heel|calcaneus|hip|"
            r"femur|tibia|fibula|leg|scaphoid|facial|orbits?|mandible)\b|"
            r"\b(?:XR|X-?rays?|radiograph\w*)\b.{0,40}\bpelvis\b|"
            r"\b(?:spine|wrist|hand|elbow|shoulder|knee|ankle|foot|hip|ribs?)\b.{0,20}"
            r"\b(?:XR|X-?rays?|radiograph\w*)\b",
            re.IGNORECASE,
        ),
        related_heads("fracture"),
        frozenset({"fracture"}),
        re.compile(r"\bfractur\w*|\bfx\b", re.IGNORECASE),
        "No acute fracture.",
    ),
    Question(
        "hydronephrosis",
        re.compile(r"\bstone\b|\brenal\b|\bkidneys?\b|\burogra\w*|\bKUB\b", re.IGNORECASE),
        frozenset({"hydronephrosis"}),
        frozenset({"hydronephrosis"}),
        re.compile(
            r"\b(?:hydroneph\w*|hydroureter\w*|pelviectasis|caliectasis|pelvocaliectasis)\b",
            re.IGNORECASE,
        ),
        "No hydronephrosis.",
    ),
    Question(
        "intracranial hemorrhage",
        re.compile(r"\bCT\b.{0,40}\b(?:head|brain)\b|\b(?:head|brain)\b.{0,40}\bCT\b", re.I),
        related_heads("intracranial hemorrhage") | {"hematoma"},
        frozenset({"intracranial hemorrhage", "hemorrhage"}),
        re.compile(r"\b(?:hemorrhag\w*|haemorrhag\w*|hematomas?|bleed\w*|blood)\b", re.I),
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


def procedure(exam: str | None) -> str:
    """The procedure part of an exam description ("CT chest" of "CT chest, history of PE")."""
    if not exam or len(exam) > _MAX_EXAM:
        return ""
    return _PROCEDURE_END_RE.split(exam, maxsplit=1)[0]


def question_for(exam: str | None) -> Question | None:
    """The table's first question for an exam description, or None."""
    return next(iter(questions_for(exam)), None)


def questions_for(exam: str | None) -> list[Question]:
    """The table's questions for an exam description, in table order (a CT angiogram of the
    chest and abdomen asks about dissection and embolism alike)."""
    name = procedure(exam)
    return [q for q in QUESTIONS if q.exam.search(name)] if name else []


def indication_questions(
    indication: str | None, asked: list[Question], regions: frozenset[str]
) -> list[Question]:
    """The questions the INDICATION asks besides the exam's ("rule out pneumothorax", "eval for
    appendicitis", "? fracture"): a finding it names, by the lexicon. A finding of the table is
    asked in the table's wording (also on a normal study: the clinician asked it); any other
    finding in its lexicon name ("No pneumothorax."). Sided questions (which leg) stay the
    exam's: an indication does not say which limbs were examined; an answer naming a body region
    the study does not cover (``regions``) is not asked ("bleed" on an abdominal CT is no
    intracranial question)."""
    if not indication or len(indication) > _MAX_INDICATION:
        return []
    named = {m.head for m in parse(indication).findings()}
    out: list[Question] = []
    for head in sorted(named):
        if any(head in q.heads for q in asked) or any(head in q.heads for q in out):
            continue
        table = next((q for q in QUESTIONS if head in q.heads and not q.sided), None)
        if table is not None:
            question = replace(table, when_normal=True)
        elif not any(head in q.heads for q in QUESTIONS):
            question = _named_question(head)
        else:
            continue  # a sided table question: the exam's to ask
        if regions_named(question.answer) <= regions:
            out.append(question)
    return out


def _named_question(head: str) -> Question:
    """The question "is there <head>?" for a finding outside the table: answered only by a
    plain lexicon denial of that very finding, positive on any affirmed related finding."""
    word = re.escape(head.split()[-1])
    return Question(
        head,
        re.compile(r"(?!)"),  # asked by the indication, never by a procedure name
        related_heads(head),
        frozenset({head}),
        re.compile(rf"\b{word}(?:e?s)?\b", re.IGNORECASE),
        f"No {head}.",
    )


def exam_sides(exam: str | None) -> frozenset[str]:
    """The legs a sided exam examines: its side words, else both."""
    said = {w.lower() for w in re.findall(r"\b(left|right)\b", procedure(exam), re.I)}
    return frozenset(said) or _SIDES


@dataclass
class _Reading:
    """What the findings say about the question, per side ("any" for an unsided question)."""

    denied: dict[str, list[Bounds]] = field(default_factory=dict)
    positive: set[str] = field(default_factory=set)


def _read(question: Question, doc: ReportDoc, sides: frozenset[str]) -> _Reading:
    """Each findings sentence read as a plain denial, as positive, or as neither."""
    findings = doc.findings
    reading = _Reading()
    for bounds in doc.sentence_bounds:
        text = findings[bounds[0] : bounds[1]]
        said = doc.parse_sentence(bounds)
        ours = [m for m in said.findings() if m.head in question.heads]
        others = [m for m in said.mentions if m.head not in question.heads]
        covered = [(m.start, m.end) for m in ours if m.negated]
        if question.denial is not None:
            covered += [(d.start(), d.end()) for d in question.denial.finditer(text)]
        stray = [
            s
            for s in question.signal.finditer(text)
            if not any(a <= s.start() < b for a, b in covered)
            and not any(m.start <= s.start() < m.end for m in others)  # another finding's word
        ]
        positive = (
            any(not m.negated for m in ours)
            or bool(stray)
            or _affirmed_abnormal(question, text)
            # "calf veins not visualized": not a "no" (only where the sentence is about it)
            or bool(_DOUBT_RE.search(text) and _about(question, text, ours))
        )
        denial = (
            any(
                m.negated
                and m.head in question.denial_heads
                and not _QUALIFIER_RE.search(text[: m.end])  # "no new DVT", "no central PE"
                for m in ours
            )
            or bool(question.denial and question.denial.search(text))
            # a venous duplex speaks of veins: "LEFT AXILLARY: Compressible."
            or bool(
                question.normal and question.normal.search(text) and not _ARTERY_RE.search(text)
            )
        )
        if not positive and not denial:
            continue
        where = _where(question, findings, bounds, sides)
        if positive:
            reading.positive |= where
        else:
            for side in where:
                reading.denied.setdefault(side, []).append(bounds)
    return reading


_DENIED_BEFORE_RE = re.compile(r"\b(?:no|without|negative\s+for)\b[^.;:,]*$", re.IGNORECASE)


def _affirmed_abnormal(question: Question, text: str) -> bool:
    """Abnormal wording outside a denial: "no intraluminal thrombus" is not "intraluminal"."""
    if question.abnormal is None:
        return False
    return any(
        m.group().lower().startswith("no ") or not _DENIED_BEFORE_RE.search(text[: m.start()])
        for m in question.abnormal.finditer(text)
    )


def _about(question: Question, text: str, ours: list[Mention]) -> bool:
    """Whether a sentence speaks of the question's finding (or, for veins, of the veins)."""
    return (
        bool(ours)
        or bool(question.signal.search(text))
        or bool(question.normal is not None and _VEIN_RE.search(text))
    )


def _where(
    question: Question,
    findings: str,
    bounds: Bounds,
    sides: frozenset[str],
) -> set[str]:
    """The sides a sentence speaks of: its own side words, else its line's label ("Right lower
    extremity: ..."), else every side the exam examines."""
    if not question.sided:
        return {"any"}
    found = _side_words(findings[bounds[0] : bounds[1]])
    if not found:
        line_start = findings.rfind("\n", 0, bounds[0]) + 1
        label = _LABEL_RE.match(findings[line_start : bounds[1]])
        if label is not None:
            found = _side_words(label.group(1))
    return (found & sides) if found else set(sides)


def _side_words(text: str) -> set[str]:
    """The legs a text names: "left"/"right", both for "bilateral"/"both"/"either"."""
    words = {w.lower() for w in _SIDE_WORD_RE.findall(text)}
    if words & {"bilateral", "both", "either"}:
        return set(_SIDES)
    return words


def _said_sides(question: Question, items: list[Item]) -> set[str]:
    """The sides (or "any") the impression already says something about."""
    out: set[str] = set()
    for item in items:
        for m in parse(item.text).findings():
            if m.head in question.heads:
                out |= (set(m.side_set) or set(_SIDES)) if question.sided else {"any"}
    return out


def _one_side_denials(question: Question, items: list[Item]) -> dict[int, str]:
    """The items that only deny the finding on one side, by index, with that side."""
    out: dict[int, str] = {}
    for i, item in enumerate(items):
        mentions = parse(item.text).findings()
        sides = {side for m in mentions for side in m.side_set}
        if (
            mentions
            and all(m.negated and m.head in question.heads for m in mentions)
            and len(sides) == 1
        ):
            out[i] = sides.pop()
    return out


def answer_question(impression: str, doc: ReportDoc, indication: str | None = None) -> Answered:
    """``impression`` with the answer to each question of ``doc.exam`` (and of the
    ``indication``) added where the module text says so; unchanged otherwise."""
    done = Answered(impression)
    asked = questions_for(doc.exam)
    for question in asked + indication_questions(indication, asked, doc.regions):
        one = _answer(question, done.impression, doc)
        if one.added:
            done = Answered(one.impression, done.added + one.added, done.spans + one.spans)
    return done


def _answer(question: Question, impression: str, doc: ReportDoc) -> Answered:
    exam = doc.exam
    items, _layout = split_items(impression)
    states_finding = [not negative_only(item.text) for item in items]
    if not question.when_normal and not any(states_finding):
        return Answered(impression)
    sides = exam_sides(exam) if question.sided else frozenset({"any"})
    reading = _read(question, doc, sides)
    denied = {s: b for s, b in reading.denied.items() if s not in reading.positive}
    missing = set(denied) - _said_sides(question, items)
    if not missing:
        return Answered(impression)
    folded: dict[int, str] = {}
    if not question.sided:
        answers = [question.answer]
    else:
        # the model's one-leg denial folds into "either" only where the findings deny it too
        folded = {i: s for i, s in _one_side_denials(question, items).items() if s in denied}
        if question.both_sides and _SIDES <= missing | set(folded.values()):
            answers = [question.both_sides]
        else:
            answers = [question.answer.format(side=side) for side in sorted(missing)]
            folded = {}
    kept = [
        (item, finding)
        for i, (item, finding) in enumerate(zip(items, states_finding, strict=True))
        if strip_period(item.text).strip().lower() != GENERIC_NORMAL and i not in folded
    ]
    last_finding = max((i for i, (_, finding) in enumerate(kept) if finding), default=-1)
    out = [item for item, _ in kept]
    out[last_finding + 1 : last_finding + 1] = [Item(a) for a in answers]
    used = sorted({b for side in set(missing) | set(folded.values()) for b in denied[side]})
    return Answered(
        " ".join(render(out, _DEFAULT_LAYOUT).split()),
        len(answers),
        [{"source": "findings", "start": start, "end": end} for start, end in used],
    )
