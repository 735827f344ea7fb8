"""Rewrite a generated case the way people dictate, so the model learns skills that carry over.

The catalogue renders tidy organ paragraphs. Real findings arrive as one paragraph or as bullets,
with a "Technique:" or "Comparison:" line inside them, de-identification tokens ("XXXX") where a
word or a date was, abbreviations, hedged normal statements ("no definite consolidation") and
words the model has never seen. Each rewrite below is one such habit, drawn at its own rate.
Only the findings change, except for `copy_unseen_word`: it swaps one word the impression
copies from the findings for a made-up word in both, so the model learns to copy words it has
no meaning for instead of writing the nearest word it knows.

`dictate` is pure: the same case and generator give the same result; the impression's facts
never change (a rewritten normal sentence stays normal, an abnormal one keeps every word the
impression needs).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

# Per-habit rates, each drawn on its own.
COPY_UNSEEN_RATE = 0.25
PARAGRAPH_RATE = 0.35
BULLET_RATE = 0.1
TECHNIQUE_RATE = 0.25
COMPARISON_RATE = 0.25
DEIDENTIFY_RATE = 0.3
HEDGED_NORMAL_RATE = 0.2
SHORTHAND_RATE = 0.2
NO_PERIOD_RATE = 0.1

DEID = "XXXX"
_TECHNIQUE = {
    "XR": ("Frontal and lateral views.", "Two views.", "Single portable view.", "3 views."),
    "CT": (
        "Axial images with coronal and sagittal reformats.",
        "Helical CT with multiplanar reformats.",
        "Contiguous axial images were obtained.",
    ),
    "MR": ("Multiplanar multisequence images.", "Sagittal and axial T1 and T2 sequences."),
    "US": ("Grayscale and color Doppler images.", "Real-time sonographic images were obtained."),
}
_COMPARISON_NONE = ("None.", "None available.", "No prior studies.")
_COMPARISON_PRIOR = (f"{DEID}.", f"Prior study dated {DEID}.", f"{DEID}, {DEID}.")
# Words a normal statement may lose to de-identification: never the negation or its object.
_KEEP_IN_NORMAL = re.compile(
    r"^(?:no|not|without|negative|normal|unremarkable|clear|intact|patent|within|limits|none)$",
    re.IGNORECASE,
)
_NORMAL_LEAD_RE = re.compile(r"^(No) (?!definite|evidence)(\w)", re.IGNORECASE)
# Shorthand people type in normal statements (the impression spells everything out, and never
# copies a normal statement).
_SHORTHAND = (
    (r"\bwithout\b", "w/o"),
    (r"\bpneumothorax\b", "PTX"),
    (r"\bpleural effusions?\b", "effusion"),
    (r"\band\b", "&"),
)
# Words the impression copies that are never swapped for a made-up one: sides, negation and the
# words a normal phrase or a placeholder needs.
_PROTECTED = frozenset(
    {
        "left",
        "right",
        "bilateral",
        "acute",
        "normal",
        "unremarkable",
        "abnormality",
        "process",
        "recommend",
        "new",
        "stable",
        "increased",
        "decreased",
        "possible",
        "probable",
        "likely",
        "measuring",
        "above",
        "below",
        "with",
        "without",
        "there",
        "which",
    }
)
_SYLLABLES = (
    "ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko ku la le li lo lu ma me mi mo mu na ne "
    "ni no nu pa pe pi po ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo za ze zi zo"
).split()
_SUFFIXES = ("", "", "al", "ic", "osis", "ar", "ine", "oid")


def dictate(case: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of ``case`` with its findings (and, for a swapped word, its impression) rewritten
    by the habits above."""
    out = dict(case)
    lines = out["findings_text"].split("\n")
    if rng.random() < COPY_UNSEEN_RATE:
        lines, out = copy_unseen_word(lines, out, rng)
    if rng.random() < DEIDENTIFY_RATE:
        lines = [deidentify_normal(line, rng) for line in lines]
    if rng.random() < HEDGED_NORMAL_RATE:
        lines = [_per_sentence(line, hedge_normal) for line in lines]
    if rng.random() < SHORTHAND_RATE:
        lines = [_per_sentence(line, shorthand_normal) for line in lines]
    if rng.random() < NO_PERIOD_RATE:
        lines = [line[:-1] if line.endswith(".") else line for line in lines]
    layout = rng.random()
    if layout < PARAGRAPH_RATE:
        lines = [" ".join(_drop_label(line) for line in lines)]
    elif layout < PARAGRAPH_RATE + BULLET_RATE:
        lines = [f"- {line}" for line in lines]
    if rng.random() < COMPARISON_RATE:
        options = _COMPARISON_PRIOR if out.get("prior") else _COMPARISON_NONE
        lines.insert(0, f"Comparison: {rng.choice(options)}")
    if rng.random() < TECHNIQUE_RATE:
        options = _TECHNIQUE.get(out.get("modality", ""), _TECHNIQUE["CT"])
        lines.insert(0, f"Technique: {rng.choice(options)}")
    out["findings_text"] = "\n".join(lines)
    return out


def is_normal_sentence(sentence: str) -> bool:
    """A statement of normality or a denial (the catalogue's normal lines start so)."""
    return bool(
        re.match(r"^(?:no|negative|normal|the \w+ (?:is|are) (?:normal|clear))\b", sentence, re.I)
    ) or bool(
        re.search(
            r"\b(?:unremarkable|within normal limits|are clear|is clear|is normal)\b",
            sentence,
            re.I,
        )
    )


def deidentify_normal(line: str, rng: random.Random) -> str:
    """One word of one normal sentence becomes XXXX, as de-identification leaves it."""

    def swap(sentence: str) -> str:
        if not is_normal_sentence(sentence) or rng.random() > 0.5:
            return sentence
        words = sentence.split(" ")
        spots = [
            i
            for i, w in enumerate(words)
            if w.isalpha() and len(w) > 3 and not _KEEP_IN_NORMAL.match(w)
        ]
        if not spots:
            return sentence
        words[rng.choice(spots)] = DEID
        return " ".join(words)

    return _per_sentence(line, swap)


def hedge_normal(sentence: str) -> str:
    """ "No consolidation." -> "No definite consolidation." (still a denial)."""
    return _NORMAL_LEAD_RE.sub(lambda m: f"{m.group(1)} definite {m.group(2)}", sentence, count=1)


def shorthand_normal(sentence: str) -> str:
    if not is_normal_sentence(sentence):
        return sentence
    for pattern, short in _SHORTHAND:
        sentence = re.sub(pattern, short, sentence, flags=re.IGNORECASE)
    return sentence


def copy_unseen_word(
    lines: list[str], case: dict[str, Any], rng: random.Random
) -> tuple[list[str], dict[str, Any]]:
    """Swap one word found in both the findings and the impression for a made-up word."""
    impression = case["impression"]
    findings = "\n".join(lines)
    candidates = sorted(
        {
            w.lower()
            for w in re.findall(r"[A-Za-z]{5,}", impression)
            if w.lower() not in _PROTECTED and re.search(rf"\b{w}\b", findings, re.IGNORECASE)
        }
    )
    if not candidates:
        return lines, case
    word = rng.choice(candidates)
    made_up = pseudo_word(rng)
    pattern = re.compile(rf"\b{word}\b", re.IGNORECASE)

    def swap(text: str) -> str:
        return pattern.sub(
            lambda m: made_up.capitalize() if m.group(0)[0].isupper() else made_up, text
        )

    out = dict(case)
    out["impression"] = swap(impression)
    out["impression_items"] = [swap(item) for item in case["impression_items"]]
    return [swap(line) for line in lines], out


def pseudo_word(rng: random.Random) -> str:
    """A pronounceable word no vocabulary holds ("kotiral")."""
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) + rng.choice(_SUFFIXES)


def _split_label(line: str) -> tuple[str, str]:
    """ "LUNGS: The lungs are clear." -> ("LUNGS: ", "The lungs are clear."); ("", line) when the
    line has no organ header (at most four words before ": ")."""
    label, sep, body = line.partition(": ")
    return (label + sep, body) if sep and len(label.split()) <= 4 else ("", line)


def _drop_label(line: str) -> str:
    """ "LUNGS: The lungs are clear." -> "The lungs are clear." (a spine level keeps its label:
    it is the finding's location)."""
    head, body = _split_label(line)
    return body if head and not re.search(r"\d", head) else line


def _per_sentence(line: str, rewrite: Callable[[str], str]) -> str:
    head, text = _split_label(line)
    return head + " ".join(rewrite(p) for p in re.split(r"(?<=\.)\s+", text))
