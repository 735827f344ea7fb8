"""Read one sentence the NegEx/ConText way: what it affirms, denies, hedges or calls old.

Each sentence is cut into clauses at termination words; a negation trigger denies the words of
its clause after it (pre-triggers) or before it (post-triggers). The words left over that are
neither neutral report language nor normality cues are the sentence's *key words*: what it
affirms. A word never seen before is a key word (abnormal) unless the clause states normality
and the word has no shape of a finding: unknown wording errs toward "this needs reporting".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from python_models.reading import vocabulary as vocab

_WORD_RE = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_NUMBER_RE = re.compile(r"^\d+(?:st|nd|rd|th)?$|^[a-z]?\d+(?:-[a-z]?\d+)?$")
_UNITS = frozenset({"mm", "cm", "m", "ml", "cc", "hu", "x", "xxxx", "cm2", "mm2"})


@dataclass(frozen=True)
class Token:
    word: str  # lower case, abbreviations as written
    start: int  # offset in the sentence text
    end: int


@dataclass(frozen=True)
class Reading:
    """What one sentence states.

    polarity: "abnormal" (affirms a finding, maybe hedged), "normal" (states normality or
    denies findings only) or "neutral" (technique, views, filler).
    """

    polarity: str
    key_words: tuple[str, ...] = ()  # affirmed finding words, in order (stems: see `stem`)
    denied_words: tuple[str, ...] = ()  # finding words inside a negation scope
    uncertain: bool = False
    chronic: bool = False  # a history modifier ("stable", "old") and no acute marker
    incidental: bool = False  # an incidental finding only (granuloma, degenerative change)
    acute_marker: bool = False  # "new", "acute", "increasing": never left out as old
    hedged_words: tuple[str, ...] = ()  # key words after a hedge ("likely adenoma")
    sides: frozenset[str] = field(default_factory=frozenset)  # sides of the affirmed words


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(text.lower())]


@lru_cache(maxsize=8192)
def stems_of(word: str) -> tuple[str, ...]:
    """Stems of a word, an abbreviation spelled out first ("rll" -> right, lower, lobe)."""
    return tuple(stem(part) for part in vocab.ABBREVIATIONS.get(word, word).split())


def stems_in(text: str) -> set[str]:
    """The stems of every word of ``text`` (`stems_of`)."""
    return {st for t in tokens(text) for st in stems_of(t.word)}


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A crude stem that matches "effusions"/"effusion", "enlarged"/"enlargement" and
    "haematoma"/"hematoma"."""
    word = vocab.american(word)
    if len(word) > 5 and word.endswith("ly"):
        word = word[:-2]
    for suffix in ("ies", "es", "s"):
        if len(word) > 4 and word.endswith(suffix) and not word.endswith(("ss", "us", "is")):
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    # the participle meets its noun: dilated/dilatation/dilation, enlarged/enlargement
    for suffix in ("ation", "ment", "ion", "ing", "ed"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    # the adjective meets its noun: ureteral/ureter, ovarian/ovary, lingular/lingula
    for suffix in ("ian", "al", "ar", "y", "a", "e"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:7]


# Tag groups in the order they are tried at a word; within a group the longest phrase wins.
_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pseudo", vocab.PSEUDO_NEGATION),
    ("uncertain", vocab.UNCERTAINTY),
    ("post", vocab.POST_NEGATION),
    ("pre", vocab.PRE_NEGATION),
    ("term", vocab.TERMINATION),
    ("acute", vocab.ACUTE_MARKERS),
    ("chronic", vocab.CHRONIC),
    ("incidental", vocab.INCIDENTAL),
    ("normal", vocab.NORMAL_CUES),
    ("limit", vocab.LIMITATION),
)


def _index(phrases: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases by their first word, longest first."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted({tuple(p.split()) for p in phrases}, key=len, reverse=True):
        out.setdefault(phrase[0], []).append(phrase)
    return out


def _merged_index() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """(tag, phrase) by first word, in group order and, within a group, longest first: the
    first that matches at a word is the one `_GROUPS` says wins (one look-up per word)."""
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for tag, phrases in _GROUPS:
        for first, found in _index(phrases).items():
            out.setdefault(first, []).extend((tag, phrase) for phrase in found)
    return out


_INDEX = _merged_index()
_FINDING_TAGS = ("", "incidental")  # tags of words that may name a finding


def _tags(words: list[str]) -> list[str]:
    """One tag per word: pseudo, pre, post, uncertain, chronic, incidental, acute, term, normal
    or ''."""
    tags = [""] * len(words)
    i = 0
    while i < len(words):
        n = 0
        for tag, phrase in _INDEX.get(words[i], ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                n = len(phrase)
                tags[i : i + n] = [tag] * n
                break
        i += n or 1
    return tags


def _is_content(word: str) -> bool:
    if word in vocab.ABBREVIATIONS:  # "cbd" is as neutral as "common bile duct"
        return any(_is_content(part) for part in vocab.ABBREVIATIONS[word].split())
    if vocab.ADVERB_SHAPE.search(word) and word not in vocab.KEY_ADVERBS:
        return word in vocab.SIDE_WORDS
    return not (word in vocab.NEUTRAL_WORDS or word in _UNITS or _NUMBER_RE.match(word))


# What a clause opening with a normal cue adds to it: a normal "flow around the thrombus" or
# "appearance of the mass" does not make the thrombus or the mass normal.
_ADDING = frozenset(
    """with and containing showing including plus of around in within near at along adjacent
    beside surrounding about""".split()
)
_COPULAS = frozenset({"is", "are", "was", "were", "appears", "appear", "remains", "remain"})


def _predicated_normal(words: list[str], tags: list[str], clause: list[int]) -> int:
    """Where the words the clause describes as normal or absent end: the subject of "<subject>
    is [not|normal ...]" ("opacification is adequate", "the endometrium is not thickened"), or
    the whole clause when it opens with a normal cue ("Normal lumbar lordosis"); -1 else."""
    content = [i for i in clause if words[i] not in vocab.NEUTRAL_WORDS or tags[i]]
    if content and tags[content[0]] == "normal":  # up to what is added to it ("with a mass")
        rest = [i for i in clause if i > content[0] and words[i] in _ADDING]
        return rest[0] if rest else clause[-1] + 1
    for k, i in enumerate(clause):
        if words[i] == "not" and k > 0 and tags[i] == "pre":
            return i  # "RV not enlarged": the subject of a verbless denial
        if words[i] in _COPULAS:
            after = clause[k + 1 : k + 4]
            if after and any(tags[j] in ("normal", "pre") for j in after):
                return i
            return -1
    return -1


# Backward triggers that also stand before a noun and deny only it: "thrombus with absent color
# flow" denies the flow, not the thrombus; "resolved left effusion".
_PREMODIFYING_POST = frozenset({"absent", "resolved"})

# A dated study is a prior one: "not present on the 08/17/2022 CT" reads as "on the prior CT".
_DATE_RE = re.compile(r"\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b")


@lru_cache(maxsize=8192)
def read_sentence(text: str) -> Reading:
    """The reading of one sentence (see the module docstring)."""
    dated = _DATE_RE.sub("prior", text)
    toks = tokens(dated)
    words = [t.word for t in toks]
    tags = _tags(words)
    for i in range(len(words) - 1):  # "absent color flow": the cue premodifies what follows
        if (
            tags[i] == "post"
            and words[i] in _PREMODIFYING_POST
            and not dated[toks[i].end : toks[i + 1].start].strip()
            and tags[i + 1] in _FINDING_TAGS
        ):
            tags[i] = "pre"
    negated = [False] * len(words)
    clause_start = 0
    open_scope = False
    for i, tag in enumerate(tags):
        if tag == "term":
            clause_start, open_scope = i + 1, False
        elif tag == "pre":
            open_scope = True
        elif tag == "post" and (i == 0 or tags[i - 1] != "post"):
            # back to the clause start; words before an earlier post-trigger of the clause
            # are denied already, so each word is visited once (linear in a huge clause)
            for j in range(clause_start, i):
                if tags[j] in _FINDING_TAGS:
                    negated[j] = True
            clause_start = i
        elif open_scope and tag in _FINDING_TAGS:
            negated[i] = True
    # clause boundaries for the normality test: a normal cue speaks for its own clause only
    clauses: list[list[int]] = [[]]
    for i, tag in enumerate(tags):
        if tag == "term":
            clauses.append([])
        else:
            clauses[-1].append(i)
    key: list[str] = []
    denied: list[str] = []
    sides: set[str] = set()
    hedged: list[str] = []
    for clause in clauses:
        has_normal = any(tags[i] in ("normal", "limit") for i in clause)
        subject_end = _predicated_normal(words, tags, clause)
        hedge_at = next((i for i in clause if tags[i] == "uncertain"), len(words))
        for i in clause:
            word = words[i]
            if (tags[i] and tags[i] != "incidental") or not _is_content(word):
                continue
            if negated[i]:
                denied.append(word)
                continue
            if i < subject_end and not vocab.ABNORMAL_SHAPE.search(word):
                continue  # the subject of "... is normal" ("opacification is adequate")
            if has_normal and not tags[i] and not vocab.ABNORMAL_SHAPE.search(word):
                continue
            key.append(word)
            if i > hedge_at:
                hedged.append(word)
        if any(tags[i] == "" and not negated[i] for i in clause if words[i] in vocab.SIDE_WORDS):
            sides |= {words[i] for i in clause if words[i] in vocab.SIDE_WORDS}
    has_any_cue = any(t in ("normal", "pre", "post") for t in tags)
    if any(w not in vocab.SIDE_WORDS for w in key):  # a side alone states no finding
        polarity = "abnormal"
    elif denied or has_any_cue:
        polarity = "normal"
    else:
        polarity = "neutral"
    chronic = bool({"chronic", "incidental"} & set(tags)) and "acute" not in tags
    incidental_words = {words[i] for i, tag in enumerate(tags) if tag == "incidental"}
    incidental = (
        bool(incidental_words)
        and "acute" not in tags
        and all(w in incidental_words or not vocab.ABNORMAL_SHAPE.search(w) for w in key)
    )
    return Reading(
        polarity=polarity,
        key_words=tuple(key),
        denied_words=tuple(denied),
        uncertain="uncertain" in tags,
        chronic=chronic,
        incidental=incidental,
        acute_marker="acute" in tags,
        hedged_words=tuple(hedged),
        sides=frozenset("bilateral" if s == "bilaterally" else s for s in sides),
    )
