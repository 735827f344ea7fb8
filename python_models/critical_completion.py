"""Critical findings the model left out, put back into the impression from the findings.

A small model drops a critical finding it never saw in that company (pneumoperitoneum next to
ascites, midline shift next to a subdural hematoma); the CRIT_MISS check catches every such
case. Flagging alone still shows the clinician a draft without the critical finding, so
postprocess (when `complete_critical_findings` is on) adds, as the first items, the findings
sentences that state them — as dictated, only a section label and an opening "There is" taken
off — and returns a blocking CRIT_ADDED warning pointing at those sentences, so the draft
goes to review with the critical finding on top. Nothing is invented: every added word is the
radiologist's own. Items that would contradict the addition go: the exam's all-normal phrase,
and items denying the added finding ("No pneumothorax" when a pneumothorax is added).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from python_models.safety import lexicons as lx
from python_models.safety.mentions import parse, segments_of
from python_models.style.items import Item, is_normal, render, split_items
from python_models.style.profile import StyleRules

_LABEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 ,/&()\-]{0,40}:\s+")
_OPENER_RE = re.compile(
    r"^(?:there\s+(?:is|are)|images?\s+show|the\s+study\s+(?:shows|demonstrates))\s+(?:an?\s+)?",
    re.IGNORECASE,
)
_DEFAULT_LAYOUT = StyleRules()


@dataclass(frozen=True)
class Completion:
    """The impression with the added items, and the findings spans they came from."""

    impression: str
    added: int
    spans: list[dict[str, Any]]


def _sentence_at(findings: str, offset: int) -> tuple[int, int] | None:
    for start, end in segments_of(findings):
        if start <= offset < end:
            return start, end
    return None


def as_item(sentence: str) -> str:
    """A findings sentence as an impression item: label and opener off, first letter up."""
    text = " ".join(sentence.split())
    text = _LABEL_RE.sub("", text, count=1)
    text = _OPENER_RE.sub("", text, count=1).strip(" ,")
    return text[:1].upper() + text[1:]


def _covering(heads: Iterable[str]) -> set[str]:
    """The heads plus the generic terms that cover them ("hemorrhage" for a subdural)."""
    out = set(heads)
    for generic, members in lx.CRITICAL_GENERIC.items():
        if out & members:
            out.add(generic)
    return out


def _contradicts(item: Item, added_heads: set[str]) -> bool:
    """An all-normal item (no finding named), or one denying a finding being added."""
    mentions = parse(item.text).findings()
    if is_normal(item.text) and not mentions:
        return True
    return any(m.negated and m.head in added_heads for m in mentions)


def complete(impression: str, findings: str, missing: Sequence[dict[str, Any]]) -> Completion:
    """``impression`` with the findings sentences holding the ``missing`` spans (CRIT_MISS
    spans: offsets into ``findings``) added first, each sentence once, in findings order."""
    bounds: list[tuple[int, int]] = []
    for span in missing:
        if span.get("source") != "findings":
            continue
        found = _sentence_at(findings, int(span["start"]))
        if found is not None and found not in bounds:
            bounds.append(found)
    bounds.sort()
    added = [as_item(findings[start:end]) for start, end in bounds]
    added = [text for text in added if text]
    if not added:
        return Completion(impression, 0, [])
    heads = _covering(m.head for text in added for m in parse(text).findings() if not m.negated)
    items, _layout = split_items(impression)
    kept = [item for item in items if not _contradicts(item, heads)]
    text = render([Item(t) for t in added] + kept, _DEFAULT_LAYOUT)
    spans = [{"source": "findings", "start": s, "end": e} for s, e in bounds]
    return Completion(" ".join(text.split()), len(added), spans)
