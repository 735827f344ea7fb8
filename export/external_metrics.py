"""The external sets' metrics, defined exactly as `../shared/eval/score_*.py` define them.

The official scorers live outside the repository (CI clones it without them), so their
definitions are re-implemented here, pattern for pattern, and a test runs both on the same
outputs and asserts equal numbers (tests/test_external_eval.py). Each set type has a per-case
judgement (what failed, for `--errors-out`) and an aggregate with the scorer's keys and rounding.
Also here: the wrong-region normal phrase, a check of our own that the scorers do not make.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from export.external_sets import findings_of

# ------------------------------------------------------------------ IU chest radiographs
# score_iu.py: fixed chest finding list, the acute subset, a negation cue before the term.
KEY = {
    "pneumothorax": r"pneumothora",
    "effusion": r"effusion",
    "consolidation": (
        r"consolidat|pneumonia|airspace (disease|opacit)|air space (disease|opacit)|infiltrat"
    ),
    "edema": r"edema|heart failure|\bchf\b|vascular congestion",
    "cardiomegaly": (
        r"cardiomegaly|heart (size )?(is )?(mildly |moderately |severely )?enlarged"
        r"|enlarged (heart|cardiac)"
    ),
    "atelectasis": r"atelecta",
    "nodule_mass": r"nodul|\bmass\b|masses",
    "fracture": r"fractur",
    "emphysema": r"emphysema|copd|hyperinfla|hyperexpan",
    "granuloma": r"granulom",
    "hernia": r"hernia",
    "opacity": r"opacit",
}
ACUTE = {"pneumothorax", "effusion", "consolidation", "edema", "nodule_mass", "fracture"}
NEG = re.compile(
    r"\b(no|without|negative for|free of|resolved|resolution of|not|nor|clear of|absence of|"
    r"removed|exclude|excluded|rule out|ruled out)\b",
    re.I,
)
NORMAL = re.compile(
    r"no acute|no active|normal (chest|exam|study|radiograph)|unremarkable|"
    r"negative (chest|exam|study)|"
    r"no evidence of (acute|active)|within normal limits|no (significant|radiographic) "
    r"(abnormal|finding)|"
    r"lungs are clear|clear lungs|no abnormalit",
    re.I,
)
# the extractive baselines of score_iu.py and score_cases.py drop sentences with these cues
NORMAL_SENT = re.compile(
    r"\b(no |normal|unremarkable|clear|intact|within normal|patent|negative|stable|unchanged)",
    re.I,
)
IU_CONSTANT = "No acute cardiopulmonary abnormality."
_IU_SPLIT = re.compile(r"(?<=[.;])\s+|\n|\s(?=\d\.\s)")


def iu_sentences(text: str | None) -> list[str]:
    """score_iu.py's sentences: after . or ;, at line breaks and before a "2. " item."""
    return [s for s in _IU_SPLIT.split(text or "") if s.strip()]


def positive_terms(text: str | None) -> set[str]:
    """Key terms stated positively: a sentence names the term with no negation cue before it."""
    found = set()
    for sentence in iu_sentences(text):
        for key, pattern in KEY.items():
            for match in re.finditer(pattern, sentence, re.I):
                if not NEG.search(sentence[: match.start()]):
                    found.add(key)
    return found


def reads_normal(text: str | None) -> bool:
    """A normal-sounding answer that states no acute key finding."""
    return bool(NORMAL.search(text or "")) and not (positive_terms(text) & ACUTE)


def iu_extractive(findings: str) -> str:
    """IU extractive baseline: the findings sentences without a normal cue."""
    kept = [s.strip() for s in iu_sentences(findings) if not NORMAL_SENT.search(s)]
    return " ".join(kept) if kept else IU_CONSTANT


@lru_cache(maxsize=1)
def _rouge() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(reference: str, output: str) -> float:
    """ROUGE-L F-measure, rouge-score with the Porter stemmer (as the scorers)."""
    return _rouge().score(reference, output)["rougeL"].fmeasure


@dataclass(frozen=True)
class IuJudgement:
    """score_iu.py's view of one output (error: no output or an empty one)."""

    error: bool
    rouge_l: float
    key_reference: frozenset[str]
    key_found: frozenset[str]
    acute_reference: frozenset[str]
    false_normal: bool
    invented: frozenset[str]

    def failures(self) -> dict[str, Any]:
        """What this output gets wrong, by metric (values name terms of the fixed list)."""
        out: dict[str, Any] = {}
        if self.error:
            out["error"] = True
        if self.key_reference - self.key_found:
            out["key_missed"] = sorted(self.key_reference - self.key_found)
        if self.acute_reference - self.key_found:
            out["acute_missed"] = sorted(self.acute_reference - self.key_found)
        if self.false_normal:
            out["false_normal"] = True
        if self.invented:
            out["invented_acute"] = sorted(self.invented)
        return out


def judge_iu(case: Mapping[str, Any], output: str | None) -> IuJudgement:
    out = output or ""
    ref = positive_terms(case["impression"])
    got = positive_terms(out)
    acute_ref = ref & ACUTE
    return IuJudgement(
        error=not output,
        rouge_l=rouge_l(case["impression"], out),
        key_reference=frozenset(ref),
        key_found=frozenset(got),
        acute_reference=frozenset(acute_ref),
        false_normal=bool(acute_ref) and not (acute_ref & got) and reads_normal(out),
        invented=frozenset((got & ACUTE) - positive_terms(findings_of(case)) - ref),
    )


def aggregate_iu(judged: list[IuJudgement]) -> dict[str, Any]:
    """score_iu.py's summary line (same keys, same rounding)."""
    n = len(judged)
    key_all = sum(len(j.key_reference) for j in judged)
    key_hit = sum(len(j.key_reference & j.key_found) for j in judged)
    acute_all = sum(len(j.acute_reference) for j in judged)
    acute_hit = sum(len(j.acute_reference & j.key_found) for j in judged)
    return {
        "cases": n,
        "errors": sum(j.error for j in judged),
        "rougeL": round(sum(j.rouge_l for j in judged) / n, 3) if n else 0.0,
        "key_recall": round(key_hit / max(key_all, 1), 3),
        "acute_recall": round(acute_hit / max(acute_all, 1), 3),
        "acute_cases": sum(bool(j.acute_reference) for j in judged),
        "false_normal": sum(j.false_normal for j in judged),
        "invented_acute": sum(bool(j.invented) for j in judged),
    }


# ------------------------------------------------------------------ hand-written cases
# score_cases.py: `must` alternatives as substrings, `never` strings, an acute case read normal.
READS_NORMAL = re.compile(
    r"^\s*(1\.\s*)?(no acute|no active|normal|unremarkable|negative|no (significant|sonographic|"
    r"radiographic|evidence)|within normal limits)",
    re.I,
)
CASES_CONSTANT = "No acute abnormality."
_CASES_SPLIT = re.compile(r"(?<=[.;])\s+|\n")


def case_sentences(text: str | None) -> list[str]:
    """score_cases.py's sentences: after . or ; and at line breaks."""
    return [s for s in _CASES_SPLIT.split(text or "") if s.strip()]


def cases_extractive(findings: str) -> str:
    """Hand-written extractive baseline: the findings sentences without a normal cue."""
    kept = [s.strip() for s in case_sentences(findings) if not NORMAL_SENT.search(s)]
    return " ".join(kept) if kept else CASES_CONSTANT


def must_ok(text: str | None, must: Iterable[str]) -> bool:
    """Every requirement met: one of its "a|b|c" alternatives appears, case-insensitively."""
    low = (text or "").lower()
    return all(any(a.strip() and a.strip().lower() in low for a in req.split("|")) for req in must)


def must_missed(text: str | None, must: Iterable[str]) -> list[str]:
    """The requirements not met (for `--errors-out`)."""
    return [req for req in must if not must_ok(text, [req])]


@dataclass(frozen=True)
class CaseJudgement:
    """score_cases.py's view of one output."""

    error: bool
    rouge_l: float
    must_ok: bool
    never_hit: tuple[str, ...]
    acute_normal: bool
    must_missed: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> bool:
        return not self.must_ok or bool(self.never_hit) or self.acute_normal

    def failures(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.error:
            out["error"] = True
        if not self.must_ok:
            out["must_missed"] = list(self.must_missed)
        if self.never_hit:
            out["never"] = list(self.never_hit)
        if self.acute_normal:
            out["acute_answered_normal"] = True
        return out


def judge_case(case: Mapping[str, Any], output: str | None) -> CaseJudgement:
    out = output or ""
    good = must_ok(out, case["must"])
    return CaseJudgement(
        error=not output,
        rouge_l=rouge_l(case["impression"], out),
        must_ok=good,
        never_hit=tuple(t for t in case.get("never", []) if t.lower() in out.lower()),
        acute_normal=bool(case.get("acute")) and not good and bool(READS_NORMAL.search(out)),
        must_missed=tuple(must_missed(out, case["must"])),
    )


def aggregate_cases(judged: list[CaseJudgement], ids: list[str]) -> dict[str, Any]:
    """score_cases.py's summary line (same keys, same rounding; failed_ids cut at 40)."""
    n = len(judged)
    return {
        "cases": n,
        "errors": sum(j.error for j in judged),
        "must_pct": round(100 * sum(j.must_ok for j in judged) / max(n, 1), 1),
        "never_violations": sum(bool(j.never_hit) for j in judged),
        "acute_answered_normal": sum(j.acute_normal for j in judged),
        "rougeL": round(sum(j.rouge_l for j in judged) / max(n, 1), 3),
        "failed_ids": [i for i, j in zip(ids, judged, strict=True) if j.failed][:40],
    }


# ------------------------------------------------------------------ report-check cases
# score_check.py: a planted code counts as caught by any code of its family.
FAMILY = {
    "LAT_CONTRA": {"LAT_CONTRA", "LAT_DROP"},
    "NUM_MISMATCH": {"NUM_MISMATCH", "NUM_MISPLACED"},
    "NEG_FLIP": {"NEG_FLIP", "CRIT_UNGROUNDED"},
    "CRIT_MISS": {"CRIT_MISS"},
    "SEX_MISMATCH": {"SEX_MISMATCH"},
    "UNGROUNDED": {"UNGROUNDED", "CRIT_UNGROUNDED", "FOREIGN_FINDING"},
}


def blocking(warnings: Iterable[Mapping[str, Any]] | None) -> bool:
    return any(w.get("severity") == "block" for w in warnings or [])


@dataclass(frozen=True)
class CheckJudgement:
    """score_check.py's view of one result: planted code caught, or clean report blocked."""

    expect: str
    caught: bool  # planted: its family's code present; clean: unused
    clean_blocked: bool  # clean: a blocking warning or a failed request

    def failures(self) -> dict[str, Any]:
        if self.expect and not self.caught:
            return {"missed": self.expect}
        if not self.expect and self.clean_blocked:
            return {"clean_blocked": True}
        return {}


def judge_check(case: Mapping[str, Any], result: Mapping[str, Any] | None) -> CheckJudgement:
    """``result``: {"warnings": [...]} or {"error": ...}; None when no result came back."""
    r = result if result is not None else {"error": "no result"}
    codes = {w.get("code") for w in (r.get("warnings") or [])}
    expect = case["expect"]
    return CheckJudgement(
        expect=expect,
        caught=bool(expect) and bool(codes & FAMILY.get(expect, {expect})),
        clean_blocked=not expect and (bool(r.get("error")) or blocking(r.get("warnings"))),
    )


def aggregate_check(judged: list[CheckJudgement], ids: list[str]) -> dict[str, Any]:
    """score_check.py's summary line (same keys; id lists cut at 30)."""
    hit: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed, false_pos = [], []
    for case_id, j in zip(ids, judged, strict=True):
        if j.expect:
            total[j.expect] += 1
            hit[j.expect] += j.caught
            if not j.caught:
                missed.append(case_id)
        elif j.clean_blocked:
            false_pos.append(case_id)
    return {
        "recall": {k: f"{hit[k]}/{total[k]}" for k in sorted(total)},
        "caught": sum(hit.values()),
        "planted": sum(total.values()),
        "clean_blocked": len(false_pos),
        "clean": sum(not j.expect for j in judged),
        "missed_ids": missed[:30],
        "false_positive_ids": false_pos[:30],
    }


# ------------------------------------------------------------------ wrong-region normal phrase
# Words that name a body region in a normal phrase ("No acute intracranial abnormality.").
# Regions are python_models.exams.region_of's. Organ words (lung, head of the pancreas) are left
# out: an abdominal CT may rightly call its lung bases clear.
REGION_WORDS: dict[str, re.Pattern[str]] = {
    "head": re.compile(r"\b(intracranial|brain|cranial|calvari\w*)\b", re.I),
    "chest": re.compile(r"\b(cardiopulmonary|chest|thorax|intrathoracic)\b", re.I),
    "abdomen": re.compile(
        r"\b(abdomen|abdominal|intra-abdominal|abdominopelvic|pelvis|pelvic)\b", re.I
    ),
    "spine": re.compile(r"\b(spine|spinal|lumbar|cervical spine|thoracic spine)\b", re.I),
    "extremity": re.compile(r"\b(extremity|extremities)\b", re.I),
}
_NORMAL_PHRASE = re.compile(
    r"\b(no acute|no active|normal|unremarkable|negative|within normal limits)\b", re.I
)


def exam_regions(exam: str | None) -> set[str]:
    """Every region an exam names ("CT chest abdomen pelvis": chest and abdomen): region_of on
    the whole name and on each word and word pair, since region_of returns only the first."""
    from python_models.exams import region_of

    if not exam:
        return set()
    words = re.findall(r"[A-Za-z]+", exam)
    pieces = [exam, *words, *(" ".join(p) for p in zip(words, words[1:], strict=False))]
    return {r for r in (region_of(p) for p in pieces) if r}


def wrong_region_phrases(impression: str | None, exam: str | None) -> list[str]:
    """Regions named by the answer's normal phrases that the exam does not cover (empty when
    the exam's region is unknown: nothing to compare with)."""
    covered = exam_regions(exam)
    if not covered:
        return []
    wrong: set[str] = set()
    for sentence in iu_sentences(impression):
        if not _NORMAL_PHRASE.search(sentence):
            continue
        for region, pattern in REGION_WORDS.items():
            if region not in covered and pattern.search(sentence):
                wrong.add(region)
    return sorted(wrong)
