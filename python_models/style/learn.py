"""Infer a style profile from a radiologist's prior signed reports.

Only what the reports show is learned, each by counting: list style and numbering (majority of
multi-item impressions, with a per-modality override where a modality differs), whether a lone
item is numbered, terminal periods, laterality case, recommendation placement, the normal phrase
per modality (most frequent impression of studies whose impression is a generic normal
statement) and term preferences (a synonym used in >= 70% of its opportunities, within the
reviewed groups of `synonyms.py`). Every decision keeps its counts, so the CLI can say why.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from python_models.exams import modality_of
from python_models.sections import parse_sections
from python_models.style.items import (
    Item,
    Layout,
    split_items,
    split_recommendations,
    strip_period,
)
from python_models.style.profile import (
    ProfileError,
    StyleOverride,
    StyleProfile,
    StyleRules,
    summarize_errors,
)
from python_models.style.service import generic_normal
from python_models.style.synonyms import SYNONYM_GROUPS

MIN_REPORTS = 20
TERM_SHARE = 0.70
MIN_TERM_OPPORTUNITIES = 5
CASE_SHARE = 0.70
MIN_NORMAL_STUDIES = 2
MIN_MODALITY_LISTS = 10
LEARNED_FIELDS = (
    "list_style",
    "numbering",
    "bullet",
    "number_single_item",
    "terminal_period",
    "laterality_case",
    "recommendations",
    "normal_phrase",
    "term_preferences",
)

_SIDE_RE = re.compile(r"\b(right|left|bilateral)\b", re.IGNORECASE)


def _validated(
    radiologist_id: str,
    base: StyleProfile | None,
    rules: dict[str, Any],
    overrides: dict[str, dict[str, Any]],
) -> StyleProfile:
    """The learned profile, validated; a ProfileError names the fields and rules, never the
    learned phrases (pydantic's own error text carries ``input_value``, i.e. report text)."""
    data = {
        "radiologist_id": radiologist_id,
        "display_name": base.display_name if base else None,
        "rules": rules,
        "overrides": {m: o for m, o in overrides.items() if o},
    }
    try:
        return StyleProfile(
            radiologist_id=radiologist_id,
            display_name=data["display_name"],
            rules=StyleRules.model_validate(rules),
            overrides={m: StyleOverride(**o) for m, o in data["overrides"].items()},
        )
    except ValidationError as exc:
        # Locations are relative to the model that failed: give it the data it was given.
        summary = summarize_errors(exc, {"StyleProfile": data, "StyleRules": rules}.get(exc.title))
        raise ProfileError("learned style profile is invalid:\n" + summary) from None


class LearnError(ValueError):
    """The reports cannot support a profile (too few, or no impressions)."""


@dataclass
class Evidence:
    """One learned decision and the counts behind it."""

    field: str
    value: Any
    counts: dict[str, int]
    note: str = ""
    key: str | None = None  # the term a term preference rewrites

    def line(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items()) or "no evidence"
        return f"{self.field} = {self.value!r}  ({counts}{'; ' + self.note if self.note else ''})"


@dataclass
class LearnResult:
    profile: StyleProfile
    evidence: list[Evidence] = field(default_factory=list)
    reports_used: int = 0
    reports_skipped: int = 0


@dataclass(frozen=True)
class _Report:
    modality: str | None
    findings: str
    impression: str
    items: tuple[Item, ...]
    layout: Layout


def _majority(counts: Counter[str], default: Any) -> Any:
    if not counts:
        return default
    (top, n), *rest = counts.most_common()
    if rest and rest[0][1] == n:  # a tie teaches nothing
        return default
    return top


def _read(records: Iterable[dict[str, Any]]) -> tuple[list[_Report], int]:
    reports, skipped = [], 0
    for record in records:
        text = record.get("report_text")
        if not isinstance(text, str):
            skipped += 1
            continue
        sections = parse_sections(text)
        if not sections.impression:
            skipped += 1
            continue
        exam = record.get("exam") or sections.exam
        items, layout = split_items(sections.impression)
        reports.append(
            _Report(modality_of(exam), sections.findings, sections.impression, tuple(items), layout)
        )
    return reports, skipped


def _body(report: _Report) -> list[Item]:
    return [i for i in report.items if not i.separate]


def _layout(reports: list[_Report]) -> list[Evidence]:
    multi = [r.layout for r in reports if len(_body(r)) > 1]
    styles = Counter(lay.list_style for lay in multi)
    out = [
        Evidence(
            "list_style",
            _majority(styles, "numbered"),
            dict(styles),
            f"of {len(multi)} multi-item impressions",
        )
    ]
    numbering = Counter(lay.numbering for lay in multi if lay.numbering)
    out.append(Evidence("numbering", _majority(numbering, "1."), dict(numbering)))
    bullets = Counter(lay.bullet for lay in multi if lay.bullet)
    out.append(Evidence("bullet", _majority(bullets, "-"), dict(bullets)))
    single = Counter(
        "numbered" if r.layout.marked_items else "plain" for r in reports if len(_body(r)) == 1
    )
    out.append(
        Evidence(
            "number_single_item",
            _majority(single, "plain") == "numbered",
            dict(single),
            "single-item impressions",
        )
    )
    periods = Counter(
        "period" if r.layout.ends_with_period else "none"
        for r in reports
        if r.layout.ends_with_period is not None
    )
    out.append(Evidence("terminal_period", _majority(periods, "period") == "period", dict(periods)))
    return out


def _modality_list_styles(reports: list[_Report], base: str) -> list[Evidence]:
    """A modality whose multi-item impressions mostly use another list style gets an override."""
    out = []
    for modality in sorted({r.modality for r in reports if r.modality}):
        styles = Counter(
            r.layout.list_style for r in reports if r.modality == modality and len(_body(r)) > 1
        )
        value = _majority(styles, base)
        if sum(styles.values()) >= MIN_MODALITY_LISTS and value != base:
            out.append(Evidence(f"overrides.{modality}.list_style", value, dict(styles)))
    return out


def _laterality(reports: list[_Report]) -> Evidence:
    counts: Counter[str] = Counter()
    for report in reports:
        for match in _SIDE_RE.finditer(report.impression):
            word = match.group(0)
            if word.isupper():
                counts["upper"] += 1
            elif word.islower():
                counts["lower"] += 1
    total = sum(counts.values())
    value = "as_written"
    for case in ("upper", "lower"):
        if total and counts[case] / total >= CASE_SHARE:
            value = case
    return Evidence("laterality_case", value, dict(counts), "side words, sentence starts skipped")


def _recommendations(reports: list[_Report]) -> Evidence:
    counts = Counter(
        "separate" if any(i.separate for i in r.items) else "inline"
        for r in reports
        if any(i.recommendation for i in split_recommendations(list(r.items)))
    )
    return Evidence(
        "recommendations",
        _majority(counts, "inline"),
        dict(counts),
        "impressions with a recommendation",
    )


def _normal_phrases(reports: list[_Report]) -> list[Evidence]:
    by_modality: dict[str, Counter[str]] = defaultdict(Counter)
    for report in reports:
        body = _body(report)
        if report.modality and len(body) == 1 and generic_normal(body[0].text):
            by_modality[report.modality][strip_period(body[0].text)] += 1
    out = []
    for modality in sorted(by_modality):
        counts = by_modality[modality]
        phrase, n = counts.most_common(1)[0]
        if n >= MIN_NORMAL_STUDIES and _majority(counts, None) is not None:
            out.append(
                Evidence(
                    f"overrides.{modality}.normal_phrase",
                    phrase,
                    {"studies": sum(counts.values()), "this phrase": n},
                )
            )
    return out


def _group_regex(group: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(v) for v in sorted(group, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def _terms(reports: list[_Report]) -> list[Evidence]:
    """Per synonym group: the variant used in >= 70% of impression mentions, when the reports
    show the radiologist had a choice (another variant of the group appears in them)."""
    out = []
    for group in SYNONYM_GROUPS:
        pattern = _group_regex(group)
        used: Counter[str] = Counter()
        seen: set[str] = set()
        for report in reports:
            used.update(m.group(0).lower() for m in pattern.finditer(report.impression))
            seen.update(m.group(0).lower() for m in pattern.finditer(report.findings))
        total = sum(used.values())
        if total < MIN_TERM_OPPORTUNITIES:
            continue
        preferred, n = used.most_common(1)[0]
        if n / total < TERM_SHARE or not (seen | set(used)) - {preferred}:
            continue
        for source in group:
            if source != preferred:
                out.append(
                    Evidence(
                        f"term_preferences[{source!r}]",
                        preferred,
                        {"opportunities": total, "preferred used": n},
                        key=source,
                    )
                )
    return out


def learn_profile(
    records: Iterable[dict[str, Any]],
    radiologist_id: str,
    base: StyleProfile | None = None,
    min_reports: int = MIN_REPORTS,
) -> LearnResult:
    """Learn a profile from prior reports; fields not learned come from `base` (or defaults)."""
    reports, skipped = _read(records)
    if len(reports) < min_reports:
        raise LearnError(
            f"need at least {min_reports} prior reports with an IMPRESSION section, "
            f"got {len(reports)} ({skipped} skipped)"
        )
    evidence = [*_layout(reports), _laterality(reports), _recommendations(reports)]
    per_modality = _normal_phrases(reports)
    per_modality += _modality_list_styles(reports, evidence[0].value)
    terms = _terms(reports)

    rules = (base.rules if base else StyleRules()).model_dump()
    rules.update({e.field: e.value for e in evidence})
    rules["normal_phrase"] = None
    rules["term_preferences"] = {e.key: e.value for e in terms}
    overrides: dict[str, dict[str, Any]] = {}
    if base:
        overrides = {m: o.set_fields() for m, o in base.overrides.items()}
    for mod_overrides in overrides.values():
        mod_overrides.pop("normal_phrase", None)
        mod_overrides.pop("list_style", None)
    for e in per_modality:
        _, modality, name = e.field.split(".")
        overrides.setdefault(modality, {})[name] = e.value
    profile = _validated(radiologist_id, base, rules, overrides)
    return LearnResult(profile, [*evidence, *per_modality, *terms], len(reports), skipped)
