"""Hold the impression to the findings, sentence by sentence, whatever the wording.

The last word before style and the checks, reading the report once (`python_models.reading`):
- a statement whose finding words the findings never affirm (or deny) is removed: an invented
  finding, side or severity cannot reach the clinician, even in words no lexicon knows;
- a denial of something the findings affirm on that side is removed; the model's advice stays
  only right after a finding statement kept whole, and only when it names no finding the
  findings do not name (whether a guideline applies to the patient is the guideline step's
  call, `python_models.guideline_followup`);
- a normal statement naming another body region than the exam's is replaced by the exam's own
  normal phrase, and a study-wide "no acute ..." goes when a findings sentence affirms a finding
  that is not incidental (an old one included);
- a study whose findings state nothing beyond incidental findings leads with the exam's normal
  phrase when the impression says nothing normal ("No pulmonary embolism." is an answer);
- findings that state nothing at all (technique or de-identified words only) back no normal
  statement either: the impression says so instead of calling the study normal;
- every findings sentence that affirms a finding is represented: when the impression leaves
  one out it is added as dictated, unless it is incidental (granuloma, degenerative change,
  simple renal cyst ...: then it is left out on purpose, and reported in the warnings when the
  study has another finding).
Only the model's words that the findings support and the radiologist's own sentences remain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from python_models.critical_completion import as_item
from python_models.reading.doc import ReadSentence, ReportDoc, both_sides, organs_named
from python_models.reading.polarity import Reading, read_sentence, stems_in, stems_of, tokens
from python_models.reading.regions import regions_named
from python_models.reading.vocabulary import NORMAL_CUES, SIDE_WORDS
from python_models.safety.mentions import parse
from python_models.style.items import (
    Item,
    render,
    split_items,
    split_recommendations,
    split_sentences,
    strip_period,
)
from python_models.style.profile import StyleRules

# The impression of findings that state nothing (`ReportDoc.states_nothing`).
NOTHING_STATED = "The findings state no observation"
_LAYOUT = StyleRules(list_style="numbered", numbering="1.", terminal_period=True)
_MARKER_RE = re.compile(r"^\s*\d{1,2}[.)](?:\s+|$)")
# A statement about the whole study ("No acute abnormality", "Normal chest radiograph"), not
# about one organ ("Normal kidneys").
_STUDY_NORMAL_RE = re.compile(
    r"\b(?:no (?:acute|active)\b(?:\s+[\w/-]+){0,2}?\s+(?:abnormalit\w*|process\w*|findings?|"
    r"disease|pathology|change)|no (?:acute|active)\s*$|"
    r"no (?:significant|radiographic|sonographic|ct|mri?|imaging) "
    r"(?:abnormalit|evidence|finding)|(?:normal|unremarkable|negative)\b(?:\s+[\w/-]+){0,4}?\s+"
    r"(?:study|exam|examination|radiograph|radiography|x-?ray|film|cxr|ct|mri?|ultrasound|"
    r"sonogram|sonography|us|mammogram|scan)\b)",
    re.I,
)
NORMAL_WORDS = frozenset(c for c in NORMAL_CUES if " " not in c)
REPRESENTED_SHARE = 0.5  # of a findings sentence's key words, for it to count as stated


@dataclass
class Gated:
    impression: str
    removed: int = 0
    added: int = 0
    region_fixed: int = 0
    normal_stated: int = 0
    nothing_stated: int = 0
    context_kept: int = 0
    sides_spelled: int = 0
    added_spans: list[dict[str, Any]] = field(default_factory=list)
    left_out_spans: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.removed
            or self.added
            or self.region_fixed
            or self.normal_stated
            or self.nothing_stated
            or self.context_kept
            or self.sides_spelled
        )


_CLAUSE_SPLIT_RE = re.compile(
    r"\s*(?:;|,?\s+\b(?:however|but|although|though|whereas|while|which)\b,?)\s*", re.I
)


def finding_clauses(sentence: str) -> str:
    """The clauses of a findings sentence that affirm something: "The aorta is tortuous,
    however the contours are normal" -> "The aorta is tortuous"."""
    clauses = [c for c in _CLAUSE_SPLIT_RE.split(sentence) if c.strip()]
    kept = [c for c in clauses if read_sentence(c).polarity == "abnormal"]
    return "; ".join(kept) if kept and len(kept) < len(clauses) else sentence


_PART_RE = re.compile(
    r"\b(?:knee|hip|shoulder|ankle|wrist|elbow|hand|foot|femur|tibia|fibula|humerus|forearm|"
    r"leg|arm|finger|thumb|toe|calf|thigh|breast|kidney|ovary|testis|testicle|upper extremity|"
    r"lower extremity)\b",
    re.I,
)


def exam_side(exam: str | None) -> str:
    """ "Left elbow" of "XR ELBOW LEFT 2 VIEWS", "Right" of "US CAROTID RIGHT": the one side a
    sided exam names (and the part it names), else ""."""
    if not exam:
        return ""
    sides = {t.word for t in tokens(exam)} & {"left", "right"}
    if len(sides) != 1:
        return ""
    side = sides.pop().capitalize()
    parts = {m.group().lower() for m in _PART_RE.finditer(exam)}
    return f"{side} {parts.pop()}" if len(parts) == 1 else side


# A side written as one letter ("L UVJ", "R ICA", "Lt kidney"): not after a number ("1.5 L").
_SIDE_LETTER_RE = re.compile(r"(?<![\d.]\s)(?<![\w.-])(L|R|Lt|Rt)\.?(?=\s+[A-Za-z])")


def spell_sides(text: str) -> str:
    """Sides spelled out: a one-letter side is easy to misread, and the clinician reads the
    impression alone."""

    def side(m: re.Match[str]) -> str:
        word = "left" if m.group(1)[0] == "L" else "right"
        return word.capitalize() if m.start() == 0 else word

    return _SIDE_LETTER_RE.sub(side, text)


def _normalized(text: str) -> str:
    return " ".join(strip_period(text).lower().split())


def with_header(s: ReadSentence, text: str) -> str:
    """A findings sentence as an item that keeps what its header says: under "RIGHT KIDNEY:"
    "Moderate hydronephrosis" is a right kidney's, and the clinician reading the impression no
    longer sees the header. The header goes first when it names a side the sentence lacks, or
    when the sentence names no organ or finding of its own ("6 cm, containing a cyst")."""
    label = s.sentence.label
    if not text or not label or s.sentence.is_technique:
        return text
    low = text.lower()
    if all(t.word in low or not (stems_in(t.word) - stems_in(text)) for t in tokens(label)):
        return text  # "Peritoneum:" says nothing "pneumoperitoneum" does not
    if not (_sides(label) - _sides(text)) and (organs_named(text) or _affirmed_heads(text)):
        return text  # "Lungs:" adds nothing to "mild emphysema"; "RIGHT KIDNEY:" adds a side
    first = text[:1].lower() if text[1:2].islower() else text[:1]  # "MCA" stays
    return f"{label[:1].upper()}{label[1:].lower()}: {first}{text[1:]}"


def _affirmed_heads(text: str) -> set[str]:
    return {m.head for m in parse(text).findings() if not m.negated}


def stated_words(reading: Reading) -> list[str]:
    """The words a statement is held to: its key words, less those a hedge qualifies ("likely
    adenoma", "concerning for pneumonia" may name what the findings only describe), unless
    every one is hedged ("possible rib fracture": held to the findings like the rest)."""
    words = [w for w in reading.key_words if w not in reading.hedged_words]
    return words or list(reading.key_words)


def unsupported_words(text: str, reading: Reading, doc: ReportDoc) -> set[str]:
    """The `stated_words` the findings never affirm; a synonym the lexicon maps to a finding or
    part the findings affirm ("enteric tube" for "nasogastric tube") is supported."""
    missing = {
        w for w in stated_words(reading) if not all(_affirmed(st, doc) for st in stems_of(w))
    }
    return missing - _lexicon_supported(text, doc) if missing else missing


def unsupported(text: str, reading: Reading, doc: ReportDoc) -> bool:
    """An affirmed word of the statement the findings never affirm (`unsupported_words`)."""
    return bool(unsupported_words(text, reading, doc))


def _lexicon_supported(text: str, doc: ReportDoc) -> set[str]:
    """Words of ``text`` inside a lexicon mention whose head the findings affirm."""
    heads = doc.affirmed_heads
    return {
        t.word
        for m in parse(text).mentions
        if not m.negated and m.head in heads
        for t in tokens(text[m.start : m.end])
    }


def _affirmed(st: str, doc: ReportDoc) -> bool:
    """The findings affirm the stem (or, for "bilateral", both sides)."""
    if st == "bilater":
        return "bilater" in doc.affirmed_stems or {"left", "right"} <= doc.affirmed_stems
    return st in doc.affirmed_stems


def _sides(text: str) -> frozenset[str]:
    return both_sides({t.word for t in tokens(text)} & SIDE_WORDS)


def _wrong_side(reading: Reading, doc: ReportDoc) -> bool:
    """A side the statement affirms that no findings sentence about the same finding has
    ("Left effusion" when the findings' effusion is on the right, even though "left" is
    affirmed elsewhere: "The left lung is clear"). Judged only when every findings sentence
    sharing half the statement's other key words names its side."""
    sides = both_sides(reading.sides)
    keys = {st for w in reading.key_words if w not in SIDE_WORDS for st in stems_of(w)}
    if not sides or not keys:
        return False
    about = [
        s.sides
        for s in doc.finding_sentences
        if len(keys & s.key_stems) >= REPRESENTED_SHARE * len(keys)
    ]
    if not about or not all(about):
        return False
    return not sides <= frozenset().union(*about)


@lru_cache(maxsize=1024)
def _affirmed_findings(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """(lexicon head, sides) of each finding ``text`` affirms."""
    return tuple((m.head, both_sides(m.sides)) for m in parse(text).findings() if not m.negated)


def denies_affirmed_words(text: str, reading: Reading, doc: ReportDoc) -> bool:
    """A denial whose every denied word is a finding word of one findings sentence that
    affirms it on the same side ("No deep venous thrombosis" stands beside a superficial one;
    "no DVT on the right" beside a left one)."""
    stems = {st for w in reading.denied_words for st in stems_of(w)}
    if not stems:
        return False
    sides = _sides(text)
    return any(
        stems <= s.key_stems and (not sides or not s.sides or bool(sides & s.sides))
        for s in doc.finding_sentences
    )


def contradicts(text: str, reading: Reading, doc: ReportDoc) -> bool:
    """A denial of what a findings sentence affirms on the same side, in its words
    (`denies_affirmed_words`) or under another name the lexicon knows ("No effusion" beside
    "pleural fluid")."""
    if not reading.denied_words:
        return False
    if denies_affirmed_words(text, reading, doc):
        return True
    denied = [(m.head, both_sides(m.sides)) for m in parse(text).findings() if m.negated]
    return any(
        head == found and (not side or not found_side or bool(side & found_side))
        for head, side in denied
        for s in doc.finding_sentences
        for found, found_side in _affirmed_findings(s.text)
    )


# Words of a statement about the whole study ("Negative.", "Normal chest.", "Unremarkable
# examination."), with the normality cues; an organ named makes it a statement about that organ.
_STUDY_WORDS = frozenset(
    """a an the this is are was appears appear study exam examination radiograph radiographs
    film films findings imaging ct mri x-ray xray ultrasound sonogram scan chest
    cardiopulmonary abdomen pelvis head""".split()
)


def _study_normal(sentence: str, reading: Reading) -> bool:
    if reading.polarity == "abnormal":
        return False
    if _STUDY_NORMAL_RE.search(sentence):
        return True
    words = [t.word for t in tokens(sentence)]
    cues = {w for w in words if w in NORMAL_WORDS}
    return bool(cues) and all(w in _STUDY_WORDS or w in cues for w in words)


def _organ_contradicted(text: str, reading: Reading, doc: ReportDoc) -> bool:
    """An organ called normal ("The lungs are clear", "Normal heart and lungs") while a
    findings sentence states a finding of that organ that is not incidental; "otherwise"
    ("The lungs are otherwise clear") says the statement leaves the finding out."""
    if reading.polarity != "normal" or reading.denied_words:  # "No pneumothorax" stays
        return False
    if re.search(r"\botherwise\b", text, re.I):
        return False
    return bool(organs_named(text) & doc.finding_organs)


def _advised(item: Item, advice: list[str] | tuple[str, ...]) -> Item:
    """``item`` with the advice the model attached to it, in the model's words."""
    if not advice:
        return item
    return Item(". ".join([strip_period(item.text), *advice]), item.recommendation, item.separate)


class _Gate:
    def __init__(self, doc: ReportDoc) -> None:
        self.doc = doc
        self.done = Gated("")

    def sentence(self, text: str) -> tuple[str, str]:
        """(kind, text) of one impression sentence: kind "finding", "normal", "neutral" or
        "drop"."""
        text = strip_period(_MARKER_RE.sub("", text).strip())
        if not re.search(r"[A-Za-z]", text):
            # numbering debris of a degenerate draft ("3. 3. 3."): nothing the findings back
            self.done.removed += bool(text.strip(" .;,"))
            return "drop", ""
        reading = read_sentence(text)
        doc = self.doc
        if reading.polarity == "abnormal":
            if (
                unsupported(text, reading, doc)
                or _wrong_side(reading, doc)
                or contradicts(text, reading, doc)
            ):
                self.done.removed += 1
                return "drop", ""
            return "finding", text
        if contradicts(text, reading, doc) or _organ_contradicted(text, reading, doc):
            self.done.removed += 1
            return "drop", ""
        named = regions_named(text)
        if named and doc.regions and not (named & doc.regions):
            self.done.region_fixed += 1
            if _study_normal(text, reading):
                return "normal", strip_period(doc.normal_phrase)
            return "drop", ""
        if reading.polarity == "normal":
            return "normal", text
        return "neutral", text

    def _advice_backed(self, text: str) -> bool:
        """Advice that follows a finding statement kept whole names no finding the findings do
        not name ("Recommend chest CT for further characterization" after a nodule, not
        "Recommend MRI to exclude a tear"). Its own words (recommend, months, risk ...) are
        not findings, so the lexicon, not the generic reading, judges it. Whether a
        guideline's advice applies to this patient is the guideline step's call."""
        return all(m.head in self._named_heads for m in parse(text).findings())

    @cached_property
    def _named_heads(self) -> frozenset[str]:
        """Lexicon heads the findings name, affirmed or denied (once per report)."""
        return frozenset(m.head for m in self.doc.parsed.findings())

    def _headed(self, item: Item) -> Item:
        """An item that is (most of) a findings sentence under a header keeps the header, as an
        added one does: an earlier step may have copied the sentence without it."""
        said = _normalized(item.text)
        if len(said) < 12:
            return item
        for s, whole in self._headed_sentences:
            if said in whole and len(said) >= 0.5 * len(whole):
                text = with_header(s, item.text)
                self.done.context_kept += text != item.text
                return Item(text, item.recommendation, item.separate)
        return item

    @cached_property
    def _headed_sentences(self) -> list[tuple[ReadSentence, str]]:
        """The findings sentences under a header, each with its normalized text (once)."""
        return [(s, _normalized(s.text)) for s in self.doc.sentences if s.sentence.label]

    def _name_exam_side(self, kept: list[Item], appended: list[Item]) -> None:
        """A one-sided exam ("XR ELBOW LEFT") whose findings never name a side: the first
        finding item says the exam's side, which the impression would otherwise lose."""
        where = exam_side(self.doc.exam)
        items = kept or appended
        if not where or not items:
            return
        spoken = [s for s in self.doc.sentences if s.reading.polarity != "neutral"]
        if any(_sides(s.text) or s.sides for s in spoken) or any(_sides(i.text) for i in items):
            return  # technique lines ("AP and lateral views of the left elbow") do not count
        text = items[0].text
        first = text[:1].lower() if text[1:2].islower() else text[:1]
        items[0] = Item(f"{where}: {first}{text[1:]}")
        self.done.context_kept += 1

    def represented(
        self, s: ReadSentence, stems: set[str], heads: set[str], pending: list[str]
    ) -> bool:
        """Half of the sentence's key words are stated, or a finding it names is. ``pending``:
        texts added since ``heads`` was last brought up to date, read only when needed (one
        lexicon parse per text, none for a sentence the key words already settle)."""
        keys = s.key_stems
        if keys and len(keys & stems) >= REPRESENTED_SHARE * len(keys):
            return True
        while pending:
            heads |= _affirmed_heads(pending.pop())
        return bool(heads) and bool(_affirmed_heads(s.text) & heads)

    def run(self, impression: str) -> Gated:
        doc = self.doc
        # finding items in order; a removed item leaves its slot (its words) for the findings
        # sentence that replaces it, so a corrected statement keeps the model's order
        findings: list[Item | frozenset[str]] = []
        advice: dict[int, list[str]] = {}  # finding slot -> the advice that follows it
        normals: list[Item] = []
        items, _layout = split_items(impression)
        owner: int | None = None  # the finding statement right before, when kept whole
        for whole in items:
            for item in split_recommendations([whole]):
                if item.recommendation:
                    if owner is not None and self._advice_backed(item.text):
                        advice.setdefault(owner, []).append(strip_period(item.text))
                    else:  # advice about nothing the findings back, or about nothing at all
                        self.done.removed += 1
                    continue
                kinds, kept = [], []
                sentences = split_sentences(item.text) or [item.text]
                for sentence in sentences:
                    kind, text = self.sentence(sentence)
                    if kind != "drop":
                        kinds.append(kind)
                        kept.append(text)
                owner = None
                if not kept:
                    findings.append(frozenset(stems_in(item.text)))
                    continue
                if all(k == "normal" for k in kinds):
                    normals.append(Item(". ".join(kept)))
                    continue
                findings.append(Item(". ".join(kept)))
                owner = len(findings) - 1 if len(kept) == len(sentences) else None
        body = " ".join(i.text for i in findings if isinstance(i, Item))
        stems, heads, pending = stems_in(body), set[str](), [body]
        appended: list[Item] = []
        for s in doc.finding_sentences:
            if self.represented(s, stems, heads, pending):
                continue
            span = {"source": "findings", "start": s.sentence.start, "end": s.sentence.end}
            if doc.incidental(s):
                if doc.abnormal:
                    self.done.left_out_spans.append(span)
                continue
            text = with_header(s, strip_period(as_item(finding_clauses(s.text))))
            if not text:
                continue
            self.done.added += 1
            self.done.added_spans.append(span)
            stems |= stems_in(text)
            pending.append(text)
            slot = next(
                (
                    k
                    for k, f in enumerate(findings)
                    if isinstance(f, frozenset)
                    and len(f & s.key_stems) >= REPRESENTED_SHARE * len(s.key_stems)
                ),
                None,
            )
            if slot is None:
                appended.append(Item(text))
            else:
                findings[slot] = Item(text)
        if doc.states_nothing:  # no normal statement rests on findings that state nothing
            self.done.removed += len(normals)
            normals = []
        elif doc.abnormal:  # a study-wide normal statement would contradict a stated finding
            kept_normals = [i for i in normals if not _study_normal(i.text, read_sentence(i.text))]
            self.done.removed += len(normals) - len(kept_normals)
            normals = kept_normals
        kept_findings = [
            _advised(self._headed(i), advice.get(k, ()))
            for k, i in enumerate(findings)
            if isinstance(i, Item)
        ]
        self._name_exam_side(kept_findings, appended)
        final = kept_findings + appended + normals
        if doc.states_nothing:
            final = [i for i in final if not _study_normal(i.text, read_sentence(i.text))]
            if not final:
                final = [Item(NOTHING_STATED)]
                self.done.nothing_stated = 1
        elif (
            not doc.abnormal
            and not normals
            and not any(_study_normal(i.text, read_sentence(i.text)) for i in final)
        ):  # nothing to report but what is incidental, and nothing said normal: say so
            final = [Item(strip_period(doc.normal_phrase))] + final
            self.done.normal_stated = 1 if kept_findings or appended else 0
        seen: set[str] = set()
        unique = [i for i in final if not (i.text.lower() in seen or seen.add(i.text.lower()))]
        spelled = [Item(spell_sides(i.text), i.recommendation, i.separate) for i in unique]
        self.done.sides_spelled = sum(
            a.text != b.text for a, b in zip(unique, spelled, strict=True)
        )
        self.done.impression = " ".join(render(spelled, _LAYOUT).split())
        return self.done


def hold_to_findings(impression: str, doc: ReportDoc) -> Gated:
    """``impression`` held to ``doc`` (see the module docstring); the same text when nothing
    had to change."""
    done = _Gate(doc).run(impression)
    if not done.changed:
        done.impression = impression
    return done
