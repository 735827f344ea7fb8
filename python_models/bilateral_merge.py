"""One finding stated once on the left and once on the right, merged into one bilateral item.

Findings often state a bilateral process side by side ("There is a moderate right pleural
effusion. There is a moderate left pleural effusion."); the impression convention is one item,
"Moderate bilateral pleural effusions". The demo model copies such findings sentence by
sentence, and item grounding (`python_models.item_grounding`) restates each side on its own, so
the served draft lists the same finding twice with a side each, which reads as two findings and
buries the fact that both sides are involved. postprocess (when `merge_bilateral` is on) merges
two items that say exactly the same thing apart from "left"/"right": one sentence each, one
finding each, no measurement (sizes are per side and stay apart). The wording is the item's own
with "bilateral" for the side and the finding's noun in the plural. Nothing else changes: the
facts of the merged item are those of the two it replaces. Items that differ in anything but the
side word ("New moderate left ..." and "Moderate right ...") are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from python_models.safety.mentions import parse
from python_models.style.items import Item, render, split_items, split_sentences, strip_period
from python_models.style.profile import StyleRules

_SIDE_RE = re.compile(r"\b(left|right)\b(?!-)", re.IGNORECASE)
# Counts would change ("Two right rib fractures" + "Two left ..." is four, not "two bilateral"),
# an article or "single" would contradict the plural, and a verb would not agree with it.
_BLOCKERS_RE = re.compile(
    r"\b(?:a|an|one|single|solitary|two|three|four|five|six|several|multiple|few|numerous|"
    r"\d+|is|are|was|were|has|have|measur\w*)\b|-sided\b",
    re.IGNORECASE,
)
# Sides of one organ, not paired organs: "right and left hepatic lobe" is not "bilateral".
_ONE_ORGAN_RE = re.compile(
    r"\b(?:hepatic|liver|lobe of the liver|colon\w*|hemicolon|colic|coronary|ventric\w*|"
    r"atri\w*|quadrant|portal|heart|cardiac|bundle|main\s+stem|mainstem)\b",
    re.IGNORECASE,
)
# Between the side word and the finding only modifiers may stand ("left lower lobe" is a place,
# "left ... of the" a different construction).
_GAP_RE = re.compile(r"^[\s\w-]*$")
_PREPOSITION_RE = re.compile(r"\b(?:of|on|in|at|the|with|to|from|and|or)\b", re.IGNORECASE)
_BILATERAL_RE = re.compile(r"\b(?:bilateral|both|either)\b", re.IGNORECASE)
_RECOMMEND_RE = re.compile(r"\b(?:recommend\w*|follow-?up|fleischner)\b", re.IGNORECASE)
# Nouns read the same for one side and for both ("bilateral emphysema", not "emphysemas").
_MASS_NOUNS = frozenset(
    {
        "consolidation",
        "edema",
        "emphysema",
        "fluid",
        "hemorrhage",
        "narrowing",
        "opacification",
        "pneumonia",
        "stenosis",
        "thickening",
    }
)
_DEFAULT_LAYOUT = StyleRules()


@dataclass(frozen=True)
class MergeResult:
    """The impression after merging, and how many pairs of items became one."""

    impression: str
    merged: int


def plural(noun: str) -> str:
    """The plural of a finding's noun phrase (its last word): "pleural effusion" ->
    "pleural effusions"; already plural or mass nouns stay ("hydronephrosis", "calculi")."""
    head, _, last = noun.rpartition(" ")
    lower = last.lower()
    if lower in _MASS_NOUNS or lower.endswith(("sis", "i")):
        word = last
    elif lower.endswith("ss"):  # mass, abscess
        word = last + "es"
    elif lower.endswith("us") and len(lower) > 3:  # calculus, thrombus, embolus
        word = last[:-2] + "i"
    elif lower.endswith("s"):  # already plural
        word = last
    elif lower.endswith("thorax"):
        word = last[: -len("thorax")] + "thoraces"
    elif lower.endswith("x"):
        word = last + "es"
    elif lower.endswith("y") and lower[-2:-1] not in set("aeiou"):
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def _key(text: str) -> tuple[str, str, tuple[int, int]] | None:
    """(the item with its side word blanked, the side, the finding's span) when the item is one
    sentence stating one finding on one side with no measurement; otherwise None."""
    if (
        len(split_sentences(text)) != 1
        or _BILATERAL_RE.search(text)
        or _RECOMMEND_RE.search(text)
        or _BLOCKERS_RE.search(text)
        or _ONE_ORGAN_RE.search(text)
    ):
        return None
    sides = list(_SIDE_RE.finditer(text))
    if len(sides) != 1:
        return None
    parsed = parse(text)
    findings = parsed.findings()
    if parsed.measurements or len(findings) != 1 or findings[0].negated:
        return None
    finding = findings[0]
    gap = text[sides[0].end() : finding.start]
    if sides[0].start() > finding.start or not _GAP_RE.match(gap) or _PREPOSITION_RE.search(gap):
        return None  # the side does not modify the finding ("hematoma on the left")
    if text[finding.end :].strip() and text[finding.end :].lstrip()[0] not in ",.?":
        return None  # the finding's noun is not the last word: "PICC tip in the SVC"
    blanked = _SIDE_RE.sub("<side>", strip_period(text)).lower()
    return " ".join(blanked.split()), sides[0].group(1).lower(), (finding.start, finding.end)


def as_bilateral(side: re.Match[str]) -> str:
    """ "bilateral" for a matched side wording, capitalised as it was."""
    return "Bilateral" if side.group(0)[0].isupper() else "bilateral"


def _bilateral(text: str, span: tuple[int, int]) -> str:
    start, end = span
    text = text[:start] + plural(text[start:end]) + text[end:]
    return _SIDE_RE.sub(as_bilateral, text, count=1)


def merge_bilateral(impression: str) -> MergeResult:
    """``impression`` with each left/right pair of otherwise identical items merged into the
    first of the two (see the module text); unchanged when there is none."""
    items, _layout = split_items(impression)
    keys = [None if item.recommendation else _key(item.text) for item in items]
    out: list[Item] = []
    dropped: set[int] = set()
    merged = 0
    for i, (item, key) in enumerate(zip(items, keys, strict=True)):
        if i in dropped:
            continue
        partner = (
            None
            if key is None
            else next(
                (
                    j
                    for j in range(i + 1, len(items))
                    if j not in dropped
                    and (other := keys[j]) is not None
                    and other[0] == key[0]
                    and other[1] != key[1]
                ),
                None,
            )
        )
        if partner is None or key is None:
            out.append(item)
            continue
        dropped.add(partner)
        merged += 1
        out.append(Item(_bilateral(item.text, key[2])))
    if not merged:
        return MergeResult(impression, 0)
    return MergeResult(" ".join(render(out, _DEFAULT_LAYOUT).split()), merged)
