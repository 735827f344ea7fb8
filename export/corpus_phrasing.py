"""Sentence making for the synthetic corpus: many phrasings in the FINDINGS, one canonical
wording in the IMPRESSION.

The findings vary (sentence frames, size placement, change and hedge wording, units) so a model
must read rather than copy; the impression is deterministic given the facts so the target is
learnable. Phrasing families marked held-out are only ever drawn for the test split.
"""

from __future__ import annotations

import random
import re
from typing import Any

from export.corpus_catalog import Finding

# Sentence frames by family. "{a}" is the article slot ("a "/"an "/""), "{be}" is/are.
FRAMES: dict[str, tuple[str, ...]] = {
    "there": ("There {be} {a}{np}.",),
    "seen": (
        "{A}{np} {be} seen.",
        "{A}{np} {be} noted.",
        "{A}{np} {be} present.",
        "{A}{np} {be} identified.",
    ),
    "tele": ("{NP}.",),
    # held out for the test split
    "demonstrate": ("The study demonstrates {a}{np}.", "Images show {a}{np}."),
    "loc_first": ("In the {loc}, there {be} {a}{np}.",),
}
HELD_OUT_FAMILIES = frozenset({"demonstrate", "loc_first"})
TRAIN_FAMILIES = tuple(f for f in FRAMES if f not in HELD_OUT_FAMILIES)

# Train-split-only variety (never drawn for val/test, so those splits stay as they were): more
# frames, discourse openers and image references around a finding, so the model learns that the
# words around a finding carry no meaning and a held-out frame is less foreign to it.
# Stage 6 adds "lead" frames, a subject and a verb drawn apart ("Current imaging reveals ..."), so
# that what precedes a finding varies far more than any fixed list of frames could, and
# location-first sentences in two wordings of their own (`LOC_FIRST_TRAIN`).
LEAD_SUBJECTS = (
    "The exam",
    "This examination",
    "Current imaging",
    "The scan",
    "Evaluation",
    "Today's exam",
    "Review of the images",
)
LEAD_VERBS = (
    "reveals",
    "depicts",
    "displays",
    "is notable for",
    "is significant for",
    "exhibits",
    "is remarkable for",
)
TRAIN_ONLY_FRAMES: dict[str, tuple[str, ...]] = {
    "appreciated": ("{A}{np} {be} appreciated.", "{A}{np} {be} visualized."),
    "evidence": ("There {be} evidence of {a}{np}.", "Findings include {a}{np}."),
    "lead": tuple(f"{s} {v} {{a}}{{np}}." for s in LEAD_SUBJECTS for v in LEAD_VERBS),
}
# Frames that end with the finding, so a change suffix ("..., new since the prior study") still
# ends the sentence.
TRAIN_ONLY_SUFFIX_FRAMES = ("evidence", "lead")
LOC_FIRST_TRAIN = ("Within the {loc} {be} {a}{np}.", "Within the {loc}, {a}{np} {be} noted.")
OPENERS = ("Additionally, ", "Also, ", "Of note, ")
# Findings named after a person keep their capital behind an opener ("Also, Baker cyst ...").
PROPER_NOUNS = ("Baker", "Modic", "Stanford")
TRAIN_ONLY_FRAME_RATE = 0.35
LOC_FIRST_TRAIN_RATE = 0.2
OPENER_RATE = 0.12
IMAGE_REF_RATE = 0.12

# Stage 8 adds train-only wording around the facts themselves: where the size sits, hedge words
# and change wording, drawn at ``TRAIN_ONLY_WORDING_RATE`` in place of the shared variants.
# None of them is a held-out variant; they widen what "a size", "a hedge" or "a change" looks like.
TRAIN_ONLY_WORDING_RATE = 0.3
TRAIN_ONLY_SIZE_FMT = (" measuring approximately {size}", ", {size} in size", " of {size}")
TRAIN_ONLY_HEDGES = {"possible": ("questionable",), "probable": ("presumed",)}
TRAIN_ONLY_CHANGE_SUFFIX = {
    "new": (", new compared with the prior", ", newly seen"),
    "stable": (", similar to the prior exam", ", stable in appearance"),
    "increased": (", which has grown", ", progressed since the prior study"),
    "decreased": (", which has diminished", ", improved since the prior study"),
}
TRAIN_ONLY_PRIOR_SUFFIX = (", previously measuring {prior}", ", measuring {prior} previously")

# change wording: (train variants, held-out variants); "{prior}" = prior size text
CHANGE_PREFIX = {
    "new": ("new",),
    "stable": ("stable", "unchanged"),
    "increased": ("increased",),
    "decreased": ("decreased",),
}
CHANGE_SUFFIX: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "new": (
        (", new since the prior study", ", which is new"),
        (", not present on the prior examination",),
    ),
    "stable": (
        (", unchanged from prior", ", stable compared with the prior exam"),
        (", without interval change",),
    ),
    "increased": (
        (", increased since the prior study", ", which has increased"),
        (", larger than on the prior exam",),
    ),
    "decreased": (
        (", decreased since the prior study", ", which has decreased"),
        (", smaller than on the prior exam",),
    ),
}
PRIOR_SUFFIX = {
    "increased": (
        (", previously {prior}", ", increased from {prior}"),
        (", up from {prior} on the prior study",),
    ),
    "decreased": (
        (", previously {prior}", ", decreased from {prior}"),
        (", down from {prior} on the prior study",),
    ),
}
HEDGES = {"possible": (("possible",), ("suspected",)), "probable": (("probable", "likely"), ())}
IMP_CHANGE = {"new": "New", "stable": "Stable", "increased": "Increased", "decreased": "Decreased"}
IMP_HEDGE = {"possible": "Possible", "probable": "Probable"}
COUNT_WORDS = {2: "two", 3: "three"}


class Chooser:
    """Draws a phrasing; for the test split it prefers held-out variants half of the time."""

    def __init__(self, rng: random.Random, split: str) -> None:
        self.rng = rng
        self.test = split == "test"
        self.train = split == "train"

    def train_only(self, rate: float) -> bool:
        """True at ``rate`` on the train split; never on val/test (and no draw there, so their
        cases do not change when train-only variety is added)."""
        return self.train and self.rng.random() < rate

    def pick(
        self, train: tuple[str, ...], held: tuple[str, ...] = (), train_only: tuple[str, ...] = ()
    ) -> str:
        """A variant: held-out ones half of the time on test; ``train_only`` ones at
        ``TRAIN_ONLY_WORDING_RATE`` on train (no extra draw on val/test)."""
        if self.test and held and self.rng.random() < 0.5:
            return self.rng.choice(held)
        if train_only and self.train_only(TRAIN_ONLY_WORDING_RATE):
            return self.rng.choice(train_only)
        return self.rng.choice(train)

    def family(self, allowed: tuple[str, ...]) -> str:
        held = tuple(f for f in allowed if f in HELD_OUT_FAMILIES)
        train = tuple(f for f in allowed if f not in HELD_OUT_FAMILIES)
        return self.pick(train, held)


def article(word: str) -> str:
    """'a ' or 'an ' for the word that follows (numbers by their spoken form: "an 8 mm")."""
    first = word.split(" ", 1)[0].lower()
    digits = re.match(r"\d+", first)
    if digits:
        number = digits.group()
        return "an " if number.startswith("8") or number in ("11", "18") else "a "
    if first[:1] in "aeiou" and not first.startswith(("uni", "use")):
        return "an "
    return "a "


def cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def uncap(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def split_loc(loc: str) -> tuple[str, str]:
    """A catalogue location as (adjective form, noun form)."""
    adj, _, noun = loc.partition("|")
    return adj, (noun or adj)


def is_plural(spec: Finding, fact: dict[str, Any]) -> bool:
    loc = fact.get("loc_adj") or ""
    return (
        spec.article == "pl"
        or (fact.get("count") or 1) > 1
        or (bool(spec.plural) and loc.startswith("bilateral"))
    )


def noun_of(spec: Finding, fact: dict[str, Any]) -> str:
    return spec.plural if is_plural(spec, fact) and spec.plural else spec.noun


def count_word(count: int) -> str:
    return COUNT_WORDS.get(count, "multiple")


def findings_sentences(spec: Finding, fact: dict[str, Any], ch: Chooser) -> list[str]:
    """One or more FINDINGS sentences stating a positive fact in a randomly drawn phrasing."""
    rng = ch.rng
    loc_adj, loc_noun = fact["loc_adj"], fact["loc_noun"]
    if (
        loc_adj.startswith("bilateral")
        and not fact.get("size_text")
        and not spec.level_organ
        and rng.random() < 0.35
    ):
        return _split_bilateral(spec, fact, ch)
    plural = is_plural(spec, fact)
    noun = noun_of(spec, fact)
    sev = fact.get("severity") or ""
    size = fact.get("size_text") or ""
    change = fact.get("change")
    prefix, suffix = "", ""
    if change:
        if rng.random() < 0.5 and not fact.get("prior_size_text"):
            prefix = rng.choice(CHANGE_PREFIX[change])
        elif fact.get("prior_size_text"):
            train, held = PRIOR_SUFFIX[change]
            suffix = ch.pick(train, held, TRAIN_ONLY_PRIOR_SUFFIX)
            suffix = suffix.format(prior=fact["prior_size_text"])
        else:
            suffix = ch.pick(*CHANGE_SUFFIX[change], TRAIN_ONLY_CHANGE_SUFFIX[change])
    hedge = ""
    if fact.get("certainty"):
        certainty = fact["certainty"]
        hedge = ch.pick(*HEDGES[certainty], TRAIN_ONLY_HEDGES[certainty])

    count = fact.get("count") or 1
    families: tuple[str, ...] = tuple(FRAMES)
    if spec.style == "prep" and not spec.level_organ and loc_noun:
        if count > 1:
            np = join(count_word(count), sev, noun, spec.prep, loc_noun)
            np += rng.choice((", the largest measuring {s}", " measuring up to {s}")).format(s=size)
            bare = None
        else:
            form = ch.pick(("pre", "post"), ("paren",)) if size else "none"
            if form == "pre":
                np = join(sev, size, noun, spec.prep, loc_noun)
                bare = join(sev, size, noun)
            elif form == "post":
                fmt = " measuring {size}"
                if ch.train_only(TRAIN_ONLY_WORDING_RATE):  # no draw on val/test
                    fmt = rng.choice(TRAIN_ONLY_SIZE_FMT[:2])
                fmt = fmt.format(size=size)
                np = join(sev, noun, spec.prep, loc_noun) + fmt
                bare = join(sev, noun) + fmt
            elif form == "paren":
                np = join(sev, noun, spec.prep, loc_noun) + f" ({size})"
                bare = join(sev, noun) + f" ({size})"
            else:
                np = join(sev, noun, spec.prep, loc_noun)
                bare = join(sev, noun)
        if bare is None or spec.prep != "in the":
            families = tuple(f for f in families if f != "loc_first")
    else:
        np = join(sev, loc_adj, noun)
        if size:
            if spec.size_fmt == " measuring {size}":
                fmt = ch.pick(
                    (" measuring {size}", " which measures {size}"),
                    (" ({size})",),
                    TRAIN_ONLY_SIZE_FMT,
                )
            else:
                fmt = spec.size_fmt
            np += fmt.format(size=size)
        bare = None
        families = tuple(f for f in families if f != "loc_first")
    np = join(hedge, prefix, np) + suffix
    if suffix:  # "X, which is new is seen" reads badly: keep suffixes at the sentence end
        families = tuple(f for f in families if f != "seen")

    loc_first_allowed = "loc_first" in families
    family = ch.family(families)
    frames = FRAMES[family]
    if loc_first_allowed and family in TRAIN_FAMILIES and ch.train_only(LOC_FIRST_TRAIN_RATE):
        return [_train_only_loc_first(spec, fact, ch, join(hedge, prefix, bare or "") + suffix)]
    if family in TRAIN_FAMILIES and ch.train_only(TRAIN_ONLY_FRAME_RATE):
        extra = TRAIN_ONLY_SUFFIX_FRAMES if suffix else tuple(TRAIN_ONLY_FRAMES)
        frames = TRAIN_ONLY_FRAMES[rng.choice(extra)]
    frame = rng.choice(frames)
    if family == "loc_first":
        np_frame = join(hedge, prefix, bare or "") + suffix
        art = "" if plural or spec.article != "a" else article(np_frame)
        return [frame.format(loc=loc_noun, be="are" if plural else "is", a=art, np=np_frame)]
    art = "" if plural or spec.article != "a" else article(np)
    sentence = frame.format(a=art, A=cap(art), np=np, NP=cap(np), be="are" if plural else "is")
    return [_train_only_surroundings(cap(sentence), ch)]


def _train_only_loc_first(spec: Finding, fact: dict[str, Any], ch: Chooser, np: str) -> str:
    """Train split only: the location before the finding, in wordings unlike the held-out
    "In the {loc}, there is ..." ("Within the right lower lobe is ...", "Within the ..., ... is
    noted.")."""
    plural = is_plural(spec, fact)
    art = "" if plural or spec.article != "a" else article(np)
    loc = fact["loc_noun"]
    frames = LOC_FIRST_TRAIN[:1] if "," in np else LOC_FIRST_TRAIN  # suffix: keep it last
    frame = ch.rng.choice(frames)
    return frame.format(loc=loc, a=art, np=np, be="are" if plural else "is")


def _train_only_surroundings(sentence: str, ch: Chooser) -> str:
    """Train split only: sometimes a discourse opener ("Of note, ...") or an image reference
    ("... (series 4, image 52).") around the sentence; neither changes the impression."""
    if ch.train_only(OPENER_RATE):
        first = sentence.split(" ", 1)[0]
        keep_case = first[1:2].isupper() or first[:1].isdigit() or first in PROPER_NOUNS
        sentence = ch.rng.choice(OPENERS) + (sentence if keep_case else uncap(sentence))
    if ch.train_only(IMAGE_REF_RATE) and sentence.endswith("."):
        series, image = ch.rng.randint(2, 9), ch.rng.randint(10, 180)
        sentence = f"{sentence[:-1]} (series {series}, image {image})."
    return sentence


def _split_bilateral(spec: Finding, fact: dict[str, Any], ch: Chooser) -> list[str]:
    """A bilateral process written side by side ("right and left ..." or two sentences)."""
    sev = fact.get("severity") or ""
    rest = fact["loc_adj"][len("bilateral") :].strip()
    noun = spec.plural or spec.noun
    if ch.rng.random() < 0.5:
        np = join(sev, "right and left", rest, noun)
        if spec.plural and ch.rng.random() < 0.5:
            return [f"There are {np}."]
        return [cap(np) + "."]
    out = []
    for side in ("right", "left"):
        np = join(sev, side, rest, spec.noun)
        art = article(np) if spec.article == "a" else ""
        out.append(cap(f"{np}.") if ch.rng.random() < 0.5 else f"There is {art}{np}.")
    return out


def impression_item(spec: Finding, fact: dict[str, Any]) -> str:
    """The canonical impression wording of one positive fact (no follow-up, no number)."""
    noun = noun_of(spec, fact)
    sev = fact.get("severity") or ""
    size = fact.get("size_text") or ""
    loc_adj, loc_noun = fact["loc_adj"], fact["loc_noun"]
    count = fact.get("count") or 1
    if count > 1:
        core = join(count_word(count), sev, loc_adj, noun) + f" measuring up to {size}"
    elif spec.level_organ:
        core = join(sev, loc_adj, noun) + f" at {fact['level']}"
        if size:
            core += spec.size_fmt.format(size=size)
    elif spec.imp_style == "prep":
        core = join(sev, noun, spec.prep, loc_noun)
        if size:
            core += spec.size_fmt.format(size=size)
    elif spec.lesion:
        core = join(sev, size, loc_adj, noun)
    else:
        core = join(sev, loc_adj, noun)
        if size:
            core += spec.size_fmt.format(size=size)
    lead = ""
    if fact.get("certainty"):
        lead = IMP_HEDGE[fact["certainty"]]
    elif fact.get("change"):
        lead = IMP_CHANGE[fact["change"]]
    core = join(lead, core)
    if fact.get("prior_size_text"):
        core += f", previously {fact['prior_size_text']}"
    return cap(core + spec.imp_suffix)
