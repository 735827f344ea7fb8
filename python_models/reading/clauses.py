"""Clause-level pieces of the shared reading: short stems, content words, headers per span.

The report_check chunk reading (``python_models.safety.reading``) compares clauses by their
content words, cut to short stems so that "meniscus"/"menisci" or "occluded"/"occlusion" meet.
The organ header a clause sits under ("Medial meniscus:", "RIGHT:", "L4-L5:") is the
``label`` that ``sentences.split_sentences`` gives its sentence: one reading of the headers for
the findings gate and the checks.
"""

from __future__ import annotations

import re

from python_models.reading.sentences import split_sentences

SHORT = 5  # letters a short stem keeps

# Prefixes too common to tell words apart in SHORT letters ("intracranial"/"intraluminal").
_PREFIXES = (
    "intra", "inter", "extra", "peri", "para", "supra", "infra", "retro", "hyper", "hypo",
    "trans", "post", "pre", "sub", "non", "multi", "hemi",
)  # fmt: skip

# Words that say nothing about which finding a clause is about: function words, sizes, grades,
# time and certainty words, report verbs. Kept short and generic on purpose.
GENERIC = frozenset(
    """a an the this that these those there here is are was were be been being has have had
    of in on at to from by for as into onto within along over under about above below near
    it its their they which who whom whose what when where while than then also again
    small smaller tiny trace minimal mild mildly moderate moderately large larger severe
    severely marked markedly significant significantly slight slightly subtle few
    several multiple numerous single some any each both either no not without nor or and
    acute acutely new newly old chronic subacute stable unchanged similar prior previous
    previously now currently interval probable probably possible possibly likely
    suspicious suspected concerning consistent compatible suggestive suggest suggests
    suggesting represent represents representing reflect reflects may might could can
    cannot likely evidence finding findings noted seen identified demonstrated
    demonstrates visualized present appearance appears appearing measuring measures
    measured measure approximately up total associated related due secondary given
    correlate correlation clinical clinically recommend recommended further
    otherwise overall study exam examination images image series imaging
    mm cm ml cc hu degrees degree level levels""".split()
)
_WORD_RE = re.compile(r"[a-z][a-z0-9']*(?:-[a-z][a-z0-9]*)*|\d+[a-z]+[a-z0-9]*")


# Bones whose adjective does not share the noun's first letters: "distal radial fracture" is a
# fracture of the radius. (Tibial/tibia, humeral/humerus and the like share them already.)
_BONE_ADJECTIVE = {"radial": "radius", "ulnar": "ulna", "femoral": "femur"}


def short_stem(word: str) -> str:
    """A lower-case word's short stem: its first SHORT letters, SHORT - 1 more after a common
    prefix; hyphens dropped. A prefix stem, not ``polarity.stem``: that one also takes plural
    and adjective endings off ("normal" -> "norm", "medial" -> "medi"), which merges clauses
    the report checks must keep apart (measured: a clean report blocked, a critical miss lost
    on the hand-written report-check cases)."""
    word = word.replace("-", "")
    word = _BONE_ADJECTIVE.get(word, word)
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + 2:
            return word[: len(prefix) + SHORT - 1]
    return word[:SHORT]


def content_stems(text: str) -> list[tuple[str, int]]:
    """(short stem, offset) of each content word of lower-cased ``text``."""
    out: list[tuple[str, int]] = []
    for m in _WORD_RE.finditer(text):
        word = m.group(0).strip("'")
        if word in GENERIC or len(word) < 2:
            continue
        out.append((short_stem(word), m.start()))
    return out


def span_labels(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[str, int]]:
    """Per span of ``text`` (each inside one sentence of ``split_sentences``, as sentence-end
    splits make them): the organ header of its sentence ("" if none) and where that header's
    text ends when it lies inside the span (the sentence's start), else -1."""
    sentences = split_sentences(text)
    out: list[tuple[str, int]] = []
    k = 0
    for s0, s1 in spans:
        while k < len(sentences) and sentences[k].end <= s0:
            k += 1
        if k == len(sentences) or sentences[k].start >= s1:
            out.append(("", -1))  # a header alone, list numbering, punctuation
            continue
        sentence = sentences[k]
        out.append((sentence.label, sentence.start if s0 <= sentence.start else -1))
    return out
