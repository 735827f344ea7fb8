"""Critical findings the model left out, put back into the impression from the findings.

A small model drops a critical finding it never saw in that company (pneumoperitoneum next to
ascites, midline shift next to a subdural hematoma); the CRIT_MISS check catches every such
case. Flagging alone still shows the clinician a draft without the critical finding, so
postprocess (when `complete_critical_findings` is on) adds, as the first items, the findings
sentences that state them, as dictated: only a list marker, a section label (kept when the rest
names no finding: "Pneumothorax: small") and an opening "There is/are", "Images show" or "The
study shows/demonstrates" with its article are taken off. A blocking CRIT_ADDED warning points
at those sentences, so the draft goes to review with the critical finding on top. Nothing is
invented: every added word is the radiologist's own. Items the addition makes redundant or
contradicts go: an all-normal item naming no finding, an item whose only content is denying an
added finding on the same side ("No pneumothorax"), and an item whose every finding the added
sentences already state. An item that also states other findings stays whole (its
contradiction is still reported by the checks).

The findings are read from the report's one reading (`python_models.reading.doc.ReportDoc`,
postprocess's `Draft.doc`): its sentences as `findings_sentences` splits them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from python_models.safety.checks import generics_of, same_place
from python_models.safety.mentions import Mention, parse
from python_models.style.items import Item, is_normal, render, sentence_spans, split_items
from python_models.style.profile import StyleRules

if TYPE_CHECKING:  # reading.doc imports this module
    from python_models.reading.doc import ReportDoc

_MARKER_RE = re.compile(r"^(?:\d{1,2}[.)]|[-*\u2022])\s+")
# A section label at the start of a line ("Pneumothorax: small", "LYMPH NODES: ...").
LABEL_PATTERN = r"^([A-Za-z][A-Za-z0-9 ,/&()\-]{0,40}):\s+"
_LABEL_RE = re.compile(LABEL_PATTERN)
_OPENER_RE = re.compile(
    r"^(?:there\s+(?:is|are)|images?\s+show|the\s+study\s+(?:shows|demonstrates))\s+(?:an?\s+)?",
    re.IGNORECASE,
)
_ARTICLE_RE = re.compile(r"^(?:an?)\s+(?=\w)", re.IGNORECASE)
# "... is seen." / "... are identified." at the end: the impression states, it does not report
# seeing.
_SEEN_RE = re.compile(
    r"\s+(?:is|are)\s+(?:seen|identified|noted|present|demonstrated|visualized)(?=\.?$)",
    re.IGNORECASE,
)
# "In the right thalamus, there is a chronic lacunar infarct" -> "Chronic lacunar infarct in the
# right thalamus" (only a plain rest: no comma, no parenthesis)
_IN_THE_THERE_IS_RE = re.compile(
    r"^in the (?!interim\b|meantime\b|setting\b|context\b|absence\b)([^,]{1,40}), "
    r"there (?:is|are) (?:an? )?([^,()]+?)(\.?)$",
    re.IGNORECASE,
)
_DANGLING_COMMA_RE = re.compile(r"\s*,\s*(\.?)$")
_WHICH_MEASURES_RE = re.compile(r",?\s+which\s+measures\b", re.IGNORECASE)
_NORMAL_WORD_RE = re.compile(r"\b(?:clear|normal|unremarkable|no acute)\b", re.IGNORECASE)
_DEFAULT_LAYOUT = StyleRules()


@dataclass(frozen=True)
class Completion:
    """The impression with the added items, and the findings spans they came from."""

    impression: str
    added: int
    spans: list[dict[str, Any]]


def sentence_at(findings: str, offset: int) -> tuple[int, int] | None:
    """The findings sentence holding ``offset``: its line, split as prose is (decimals and
    abbreviations such as "approx." kept whole)."""
    line_start = findings.rfind("\n", 0, offset) + 1
    line_end = findings.find("\n", offset)
    line = findings[line_start : len(findings) if line_end < 0 else line_end]
    for start, end in sentence_spans(line):
        if start <= offset - line_start < end:
            return line_start + start, line_start + end
    return None


def findings_sentences(findings: str) -> list[tuple[int, int]]:
    """Every findings sentence, in order, split as `sentence_at` splits them (line by line)."""
    out: list[tuple[int, int]] = []
    offset = 0
    for line in findings.split("\n"):
        out += [(offset + start, offset + end) for start, end in sentence_spans(line)]
        offset += len(line) + 1
    return out


def as_item(sentence: str) -> str:
    """A findings sentence as an impression item: list marker, section label, opener ("There
    is a", "Images show"), a leading article and a closing "is seen" off, "In the X, there is
    a Y" as "Y in the X", "which measures" as "measuring", first letter up. The label stays when
    the rest names no finding ("Pneumothorax: small")."""
    text = _MARKER_RE.sub("", " ".join(sentence.split()), count=1)
    label = _LABEL_RE.match(text)
    if label and parse(text[label.end() :]).findings():
        text = text[label.end() :]
    text = _OPENER_RE.sub("", text, count=1).strip(" ,")
    text = _IN_THE_THERE_IS_RE.sub(r"\2 in the \1\3", text, count=1)
    text = _ARTICLE_RE.sub("", text, count=1)
    text = _SEEN_RE.sub("", text, count=1)
    text = _DANGLING_COMMA_RE.sub(r"\1", text)  # "..., which measures 3 cm, is present."
    text = _WHICH_MEASURES_RE.sub(" measuring", text)
    return text[:1].upper() + text[1:]


def negative_only(text: str) -> bool:
    """A statement that only denies or calls normal ("No pulmonary embolism")."""
    mentions = parse(text).findings()
    return (bool(mentions) and all(m.negated for m in mentions)) or (
        not mentions and is_normal(text)
    )


def _covering(mentions: Sequence[Mention]) -> dict[str, list[frozenset[str]]]:
    """Affirmed heads of the added sentences (plus the generic terms covering them, such as
    "hemorrhage" for a subdural hematoma), each with the sides it was stated on."""
    out: dict[str, list[frozenset[str]]] = {}
    for m in mentions:
        for head in (m.head, *generics_of(m.head)):
            out.setdefault(head, []).append(m.side_set)
    return out


def _goes(item: Item, added: dict[str, list[frozenset[str]]]) -> bool:
    """Whether the addition makes ``item`` redundant or contradicted (see the module text)."""
    mentions = parse(item.text).findings()
    affirmed = [m for m in mentions if not m.negated]
    if not mentions:
        return is_normal(item.text) or bool(_NORMAL_WORD_RE.search(item.text))
    if affirmed:
        return all(m.head in added for m in affirmed)
    return any(
        m.head in added and any(same_place(m.side_set, sides) for sides in added[m.head])
        for m in mentions
    )


def complete(impression: str, doc: ReportDoc, missing: Sequence[dict[str, Any]]) -> Completion:
    """``impression`` with the findings sentences holding the ``missing`` spans (CRIT_MISS
    spans: offsets into ``doc.findings``) added first, each sentence once, in findings order."""
    findings = doc.findings
    bounds: list[tuple[int, int]] = []
    for span in missing:
        if span.get("source") != "findings":
            continue
        found = doc.sentence_at(int(span["start"]))
        if found is not None and found not in bounds:
            bounds.append(found)
    bounds.sort()
    pairs = [(as_item(findings[start:end]), (start, end)) for start, end in bounds]
    pairs = [(text, bound) for text, bound in pairs if text]
    if not pairs:
        return Completion(impression, 0, [])
    added = _covering([m for text, _ in pairs for m in parse(text).findings() if not m.negated])
    items, _layout = split_items(impression)
    kept = [item for item in items if not _goes(item, added)]
    text = render([Item(t) for t, _ in pairs] + kept, _DEFAULT_LAYOUT)
    spans = [{"source": "findings", "start": s, "end": e} for _, (s, e) in pairs]
    return Completion(" ".join(text.split()), len(pairs), spans)
