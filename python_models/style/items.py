"""Impression text <-> structured items.

Styling works on items, not on raw text: a generated impression may be numbered ("1. ... 2. ..."
on one line, as the postprocess model collapses whitespace), bulleted, or prose. `split_items`
recovers the items and the layout they were written in (the learner needs the layout too);
`render` lays items out again following a profile's rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from python_models.style.profile import StyleRules

ListLayout = str  # "numbered" | "bulleted" | "prose"


@dataclass(frozen=True)
class Item:
    """One impression item: its text without list marker and without the final period."""

    text: str
    recommendation: bool = False
    separate: bool = False  # it stood on a "Recommendation:" line of its own


@dataclass(frozen=True)
class Layout:
    """How an impression was laid out (what `impressions style learn` counts)."""

    list_style: ListLayout
    numbering: str | None = None  # "1." or "1)" when numbered
    bullet: str | None = None
    marked_items: int = 0  # items carrying a number or bullet
    ends_with_period: bool | None = None  # every item did / none did / mixed or empty (None)


_NUMBER_RE = re.compile(r"(?:(?<=\s)|^)(\d{1,2})([.)])\s+")
_BULLET_START_RE = re.compile(r"^\s*([-*•])\s+")
_BULLET_SPLIT_RE = re.compile(r"(?:\n|(?<=[.;!?])[ \t]+)[ \t]*[-*•][ \t]+")
_REC_LABEL_RE = re.compile(r"(?:^|(?<=\s))recommendations?\s*:\s*", re.IGNORECASE)
_NO_SPLIT_BEFORE = {"e.g", "i.e", "approx", "vs", "dr", "st", "mr", "ms", "fig", "no"}
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")
_REC_RE = re.compile(
    r"^(recommend|suggest|consider|advise|follow[- ]?up|further (evaluation|assessment)|"
    r"correlat|clinical correlation|comparison with|dedicated|short[- ]interval|repeat)"
    r"|^(an? |the )?(follow[- ]?up|repeat|further|additional|dedicated|short[- ]interval|"
    r"comparison|correlation|clinical correlation|ct|mri|mr|ultrasound|us|pet|biopsy|"
    r"radiograph)\b.*\b(is|are|may be|would be) (recommended|suggested|advised|helpful)\b"
    r"|^(per |according to )?(the )?fleischner\b",
    re.IGNORECASE,
)
_RECOMMEND_VERB_RE = re.compile(r"^recommend\s+(?=\w)", re.IGNORECASE)  # the label says it
_NORMAL_RE = re.compile(
    r"^(no\b|negative\b|normal\b|unremarkable\b|without\b)"
    r"|\b(unremarkable|within normal limits|normal (study|exam|examination|radiograph)s?)\b",
    re.IGNORECASE,
)


def strip_period(text: str) -> str:
    """Drop one trailing period (and spaces) but keep "?" or "!"."""
    text = text.strip()
    while text.endswith("."):
        text = text[:-1].rstrip()
    return text


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one line of prose: split on ". " before a capital or
    digit, keeping decimals and abbreviations ("approx. 2 cm") whole; spaces trimmed."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        before = text[start : match.start()].rstrip(".!?").split()
        if before and before[-1].lower().strip("([\"'").rstrip(".") in _NO_SPLIT_BEFORE:
            continue
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    spans = []
    for a, b in bounds:
        piece = text[a:b]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((a + lead, a + len(piece.rstrip())))
    return spans


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences on ". " before a capital or digit, keeping decimals whole."""
    return [text[a:b] for a, b in sentence_spans(text)]


def is_recommendation(text: str) -> bool:
    return bool(_REC_RE.search(text.strip()))


def is_normal(text: str) -> bool:
    """A negative or normal statement ("No pneumothorax", "Normal chest radiograph")."""
    return bool(_NORMAL_RE.search(text.strip()))


def _numbered_chain(text: str) -> list[re.Match[str]] | None:
    """Markers 1, 2, 3 ... with one delimiter, the first at the start; else None.

    Markers after a sentence end are tried first, so "levels 1 and 2. 2. Foo" splits at the
    second "2."; unpunctuated lists ("1. A 2. B") fall back to any marker after a space.
    """
    strict = _chain(text, after_sentence_end=True)
    loose = _chain(text, after_sentence_end=False)
    if strict and (len(strict) > 1 or len(loose or []) <= len(strict)):
        return strict
    return loose


def _chain(text: str, after_sentence_end: bool) -> list[re.Match[str]] | None:
    chain: list[re.Match[str]] = []
    for match in _NUMBER_RE.finditer(text):
        before = text[: match.start()].rstrip()
        if chain and after_sentence_end and before[-1:] not in {".", ";", ":", "!", "?", ")"}:
            continue
        if int(match.group(1)) != len(chain) + 1:
            continue
        if chain and match.group(2) != chain[0].group(2):
            continue
        if not chain and before:
            return None
        chain.append(match)
    return chain or None


def _periods(parts: list[str]) -> bool | None:
    ends = {p.strip().endswith(".") for p in parts if p.strip()}
    return next(iter(ends)) if len(ends) == 1 else None


def _split_body(text: str) -> tuple[list[str], Layout]:
    text = text.strip()
    if not text:
        return [], Layout("prose")
    chain = _numbered_chain(text)
    if chain:
        bounds = [m.end() for m in chain] + [len(text)]
        starts = [m.start() for m in chain[1:]] + [len(text)]
        parts = [text[bounds[i] : starts[i]] for i in range(len(chain))]
        numbering = "1" + chain[0].group(2)
        return parts, Layout("numbered", numbering, None, len(chain), _periods(parts))
    bullet = _BULLET_START_RE.match(text)
    if bullet:
        parts = _BULLET_SPLIT_RE.split(text[bullet.end() :])
        return parts, Layout("bulleted", None, bullet.group(1), len(parts), _periods(parts))
    parts = [s for line in text.split("\n") for s in split_sentences(line)]
    return parts, Layout("prose", ends_with_period=_periods(parts[-1:]))


def split_items(text: str) -> tuple[list[Item], Layout]:
    """Items of an impression and the layout it was written in."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    label = _REC_LABEL_RE.search(text)
    separate: list[str] = []
    if label and text[: label.start()].strip():
        separate = split_sentences(text[label.end() :].replace("\n", " "))
        text = text[: label.start()]
    elif label:  # the whole impression is a recommendation line
        separate = split_sentences(text[label.end() :].replace("\n", " "))
        text = ""
    parts, layout = _split_body(text)
    items = [Item(t, recommendation=is_recommendation(t)) for t in map(_clean_item, parts) if t]
    items += [Item(t, True, True) for t in map(_clean_item, separate) if t]
    return items, layout


def _clean_item(text: str) -> str:
    return strip_period(" ".join(text.split()))


def _clauses(sentence: str) -> list[str]:
    """ "Mass, indeterminate; recommend MRI" -> the finding and the recommendation apart."""
    head, sep, tail = sentence.partition("; ")
    if sep and is_recommendation(tail):
        return [head, capitalize_first(tail)]
    return [sentence]


def split_recommendations(items: list[Item]) -> list[Item]:
    """Pull recommendation sentences out of mixed items ("Nodule. Recommend CT.")."""
    out: list[Item] = []
    for item in items:
        if item.recommendation:
            out.append(item)
            continue
        sentences = [strip_period(c) for s in split_sentences(item.text) for c in _clauses(s)]
        recs = [s for s in sentences if is_recommendation(s)]
        if not recs or len(recs) == len(sentences):
            out.append(replace(item, recommendation=bool(recs)))
            continue
        rest = [s for s in sentences if not is_recommendation(s)]
        out.append(Item(". ".join(rest)))
        out += [Item(s, recommendation=True) for s in recs]
    return out


def capitalize_first(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :] if ch.islower() else text
        if not (ch.isspace() or ch in "\"'(["):
            return text
    return text


def _with_end(text: str, period: bool) -> str:
    text = capitalize_first(strip_period(text))
    if period and text and text[-1] not in ".?!":
        return text + "."
    return text


def render(items: list[Item], rules: StyleRules) -> str:
    """Lay items out as `rules` say: list style, numbering, periods, recommendation line."""
    if rules.recommendations == "separate":
        body = [i for i in items if not i.recommendation]
        recs = [i for i in items if i.recommendation]
    else:
        body, recs = list(items), []
    lines: list[str] = []
    marked = len(body) > 1 or rules.number_single_item
    if rules.list_style == "prose" or not marked:
        sentences = [_with_end(i.text, True) for i in body]
        if sentences and not rules.terminal_period:
            sentences[-1] = strip_period(sentences[-1])
        if sentences:
            lines.append(" ".join(sentences))
    elif rules.list_style == "numbered":
        delim = rules.numbering[-1]
        lines += [
            f"{n}{delim} {_with_end(i.text, rules.terminal_period)}"
            for n, i in enumerate(body, start=1)
        ]
    else:
        lines += [f"{rules.bullet} {_with_end(i.text, rules.terminal_period)}" for i in body]
    if recs:
        label = "Recommendation:" if len(recs) == 1 else "Recommendations:"
        text = " ".join(_with_end(_RECOMMEND_VERB_RE.sub("", i.text), True) for i in recs)
        if not rules.terminal_period:
            text = strip_period(text)
        lines.append(f"{label} {text}")
    return "\n".join(lines)
