"""Apply one set of style rules to an impression, deterministically.

Pipeline: split into items -> rewrite each item's words -> normal phrase -> order ->
recommendations -> max items -> render. This module never decides whether the result is safe;
`StyleService` compares facts before and after and falls back when they differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from python_models.style import rewrite
from python_models.style.items import (
    Item,
    is_normal,
    is_recommendation,
    render,
    split_items,
    split_recommendations,
    strip_period,
)
from python_models.style.profile import StyleRules

GenericNormal = Callable[[str], bool]


def rewrite_text(text: str, rules: StyleRules) -> str:
    """The word-level rules, in an order where each sees the previous one's output."""
    text = rewrite.remove_phrases(text, rules.banned_phrases)
    text = rewrite.expand_abbreviations(text, rules.abbreviations_expand)
    text = rewrite.keep_abbreviations(text, rules.abbreviations_keep)
    text = rewrite.replace_phrases(text, rules.term_preferences)
    text = rewrite.replace_phrases(text, rules.hedging)
    text = rewrite.convert_units(text, rules.units)
    text = rewrite.laterality_case(text, rules.laterality_case)
    return rewrite.capitalize_sentences(strip_period(text))


def _rewrite_items(items: list[Item], rules: StyleRules) -> list[Item]:
    out = []
    for item in items:
        text = rewrite_text(item.text, rules)
        if any(ch.isalnum() for ch in text):
            out.append(
                replace(item, text=text, recommendation=is_recommendation(text) or item.separate)
            )
    return out


def _normal_phrase(items: list[Item], rules: StyleRules, generic: GenericNormal) -> list[Item]:
    """An impression made only of generic normal statements becomes the normal phrase."""
    body = [i for i in items if not i.recommendation]
    if not rules.normal_phrase or not body or not all(generic(i.text) for i in body):
        return items
    recs = [i for i in items if i.recommendation]
    phrase = rewrite.laterality_case(strip_period(rules.normal_phrase), rules.laterality_case)
    return [Item(phrase), *recs]


def _order(items: list[Item], rules: StyleRules) -> list[Item]:
    """`abnormal_first`: positive findings, then normal statements, then recommendations."""
    if rules.ordering == "abnormal_first":
        return sorted(items, key=lambda i: 2 if i.recommendation else int(is_normal(i.text)))
    return items


def _limit(items: list[Item], rules: StyleRules) -> list[Item]:
    """Merge items beyond `max_items` into the last allowed one: nothing is ever dropped."""
    aside = [i.recommendation and rules.recommendations == "separate" for i in items]
    body = [i for i, out in zip(items, aside, strict=True) if not out]
    limit = rules.max_items
    if limit is None or len(body) <= limit:
        return items
    keep, extra = body[: limit - 1], body[limit - 1 :]
    merged = Item(". ".join(strip_period(i.text) for i in extra))
    recs = [i for i, out in zip(items, aside, strict=True) if out]
    return [*keep, merged, *recs]


def style_impression(
    text: str, rules: StyleRules, generic_normal: GenericNormal = is_normal
) -> str:
    """`text` restyled by `rules`. `generic_normal` says which items carry no specific fact."""
    items, _ = split_items(text)
    if rules.recommendations == "separate":
        items = split_recommendations(items)
    items = _rewrite_items(items, rules)
    items = _normal_phrase(items, rules, generic_normal)
    items = _order(items, rules)
    items = _limit(items, rules)
    return render(items, rules)
