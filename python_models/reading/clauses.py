"""Clause-level pieces of the shared reading: short stems, content words, headers per span.

The report_check chunk reading (``python_models.safety.reading``) compares clauses by their
content words. It reads them the way the rest of the project does: words are stemmed by the
shared ``polarity.stem`` (plural and "-ly" off), then cut to a short key so that
"meniscus"/"menisci" or "occluded"/"occlusion" meet; the organ header a clause sits under
("Medial meniscus:", "RIGHT:", "L4-L5:") is the ``label`` that ``sentences.split_sentences``
gives its sentence.
"""

from __future__ import annotations

import re
from functools import lru_cache

from python_models.reading.polarity import stem as shared_stem
from python_models.reading.sentences import split_sentences

SHORT = 5  # a short stem keeps this many letters of the shared stem
_SHARED_CAP = 7  # letters the shared stem keeps at most

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


@lru_cache(maxsize=8192)
def short_stem(word: str) -> str:
    """The shared stem of a lower-case word cut to SHORT letters (hyphens dropped); after a
    common prefix SHORT - 1 letters more are kept, read past the shared stem's cap."""
    word = word.replace("-", "")
    base = shared_stem(word)
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + 2:
            if len(base) == _SHARED_CAP:  # cut by the cap, not by a suffix
                base += word[_SHARED_CAP:]
            return base[: len(prefix) + SHORT - 1]
    return base[:SHORT]


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
