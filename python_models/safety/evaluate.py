"""`impressions check-eval`: measure the safety checks on injected errors, in one table.

Takes correct (findings, impression) pairs from the synthetic corpus, injects one labelled error
per copy (side swap, mm<->cm, dropped "no", omitted critical finding, wrong-sex organ, ...) and
reports, per error type, how often the expected code fired (recall), plus how many clean pairs
raised any warning (false positives). A claim such as "catches side swaps" is only made with
the number beside it.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from python_models.measurement_placeholders import measurement_spans
from python_models.request_fields import sex_of
from python_models.safety import lexicons as lx
from python_models.safety.checks import (
    CheckContext,
    exam_regions,
    heads_by_segment,
    is_urgent,
    run_checks,
)
from python_models.safety.mentions import parse
from python_models.safety.stress import DEFAULT_STRESS_BYTES, format_stress, time_checks

RECALL_TARGET = 0.95
FP_TARGET = 0.02


@dataclass(frozen=True)
class Pair:
    """One evaluation input: findings, impression and what is known about the patient."""

    findings: str
    impression: str
    context: CheckContext
    # regexes naming the impression items the corpus marks critical (its own truth, not ours)
    critical_terms: tuple[str, ...] = ()


Injector = Callable[[Pair, random.Random], Pair | None]


def _comparison_text(prior: object) -> str:
    """The COMPARISON line a report would carry: the prior exam, or "None"."""
    if not prior:
        return "None"
    if isinstance(prior, dict):
        return str(prior.get("exam") or "prior study")
    return str(prior)


def _critical_terms(case: dict) -> tuple[str, ...]:
    """Regexes for the critical facts the case's impression states (corpus truth)."""
    from export.corpus_catalog import FINDINGS  # the corpus's own catalogue

    terms = []
    for fact in case.get("facts") or []:
        spec = FINDINGS.get(fact.get("key") or "")
        if spec and fact.get("critical") and fact.get("in_impression") and spec.term:
            terms.append(spec.term)
    return tuple(terms)


def pair_from_case(case: dict) -> Pair:
    """A corpus case (export.corpus.generate_cases) as a Pair; no prior means "None"."""
    patient = case.get("patient") or {}
    prior = case.get("prior")
    return Pair(
        findings=case["findings_text"],
        impression=case["impression"],
        context=CheckContext(
            exam=case.get("exam"),
            patient_sex=patient.get("sex"),
            patient_age=patient.get("age"),
            comparison=_comparison_text(prior),
        ),
        critical_terms=_critical_terms(case),
    )


def _replace_span(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


_SIDE_RE = re.compile(r"\b(left|right|Left|Right|LEFT|RIGHT)\b")
_SWAP = {"left": "right", "right": "left", "Left": "Right", "Right": "Left",
         "LEFT": "RIGHT", "RIGHT": "LEFT"}  # fmt: skip


def swap_side(pair: Pair, rng: random.Random) -> Pair | None:
    """Swap one left/right in the impression."""
    hits = list(_SIDE_RE.finditer(pair.impression))
    if not hits:
        return None
    m = rng.choice(hits)
    text = _replace_span(pair.impression, m.start(), m.end(), _SWAP[m.group(1)])
    return Pair(pair.findings, text, pair.context)


_UNIT_RE = re.compile(r"(\d)(\s*)(mm|cm)\b", re.I)


def swap_unit(pair: Pair, rng: random.Random) -> Pair | None:
    """Turn one "mm" into "cm" or the reverse in the impression."""
    hits = list(_UNIT_RE.finditer(pair.impression))
    if not hits:
        return None
    m = rng.choice(hits)
    unit = m.group(3)
    new = {"mm": "cm", "cm": "mm", "MM": "CM", "CM": "MM"}.get(unit, "cm")
    start = m.start(3)
    return Pair(pair.findings, _replace_span(pair.impression, start, m.end(3), new), pair.context)


def _lengths(text: str) -> list[float]:
    return [round(m.mm, 1) for m in parse(text).measurements]


def swap_measurements(pair: Pair, rng: random.Random) -> Pair | None:
    """Exchange the whole measurements ("4.3 x 2.6 cm") of two impression sentences naming
    different findings: the model's commonest measurement error (a cyst's 3.4 cm given to the
    solid mass). The first such pair, with no random draw, so the other rows stay as they were."""
    imp = parse(pair.impression)
    heads = heads_by_segment(imp)
    starts = [s for s, _ in imp.segments]
    sized = [
        (start, end, bisect_right(starts, start) - 1)
        for start, end in measurement_spans(pair.impression)
    ]
    sized = [x for x in sized if heads.get(x[2])]
    text = pair.impression
    for n, (a0, a1, a_seg) in enumerate(sized):
        for b0, b1, b_seg in sized[n + 1 :]:
            if a_seg == b_seg or not heads[a_seg].isdisjoint(heads[b_seg]):
                continue
            first, second = text[a0:a1], text[b0:b1]
            if _lengths(first) == _lengths(second):  # "11 mm" for "1.1 cm" is no error
                continue
            text = text[:a0] + second + text[a1:b0] + first + text[b1:]
            return Pair(pair.findings, text, pair.context)
    return None


_NO_RE = re.compile(r"\b(?:no|without)\s+", re.I)


def drop_negation(pair: Pair, rng: random.Random) -> Pair | None:
    """Delete the "no"/"without" before a finding the findings also call absent."""
    f_neg = {m.head for m in parse(pair.findings).findings() if m.negated}
    imp = parse(pair.impression)
    candidates = []
    for cue in _NO_RE.finditer(pair.impression):
        nxt = [m for m in imp.findings() if m.start >= cue.end() and m.negated]
        if nxt and nxt[0].head in f_neg and nxt[0].start - cue.end() < 30:
            candidates.append(cue)
    if not candidates:
        return None
    cue = rng.choice(candidates)
    text = _replace_span(pair.impression, cue.start(), cue.end(), "")
    return Pair(pair.findings, text, pair.context)


# Critical sentences that fit an exam's region, tried in order until one names a finding the
# report does not already state.
_CRITICAL_SENTENCES: dict[str | None, tuple[str, ...]] = {
    "chest": (
        "There is a small right apical pneumothorax.",
        "There is free air beneath the right hemidiaphragm.",
        "There is an acute left lower lobe segmental pulmonary embolism.",
    ),
    "head": (
        "There is an acute left subdural hematoma measuring 6 mm.",
        "There is acute subarachnoid hemorrhage in the basal cisterns.",
        "There is 5 mm of rightward midline shift.",
    ),
    "abdomen": (
        "There is free intraperitoneal air beneath the diaphragm.",
        "Findings of acute appendicitis are present.",
        "There is a high-grade small bowel obstruction.",
    ),
    "spine": ("Severe stenosis with compression of the cauda equina at L3-L4.",),
    "extremity": (
        "There is acute occlusive deep venous thrombosis of the popliteal vein.",
        "There is acute nonocclusive thrombus in the femoral vein.",
    ),
}


def drop_critical_item(pair: Pair, rng: random.Random) -> Pair | None:
    """Remove the impression items naming a critical finding.

    Which items are critical comes from the corpus's labels when the pair has them, so the
    check is not graded against its own vocabulary; hand-written pairs fall back to ours.
    """
    if pair.critical_terms:
        pattern = re.compile("|".join(pair.critical_terms), re.I)
        lines = pair.impression.splitlines()
        kept = [line for line in lines if not pattern.search(line)]
        if len(kept) < len(lines):
            return Pair(pair.findings, "\n".join(kept), pair.context)
        return None
    imp = parse(pair.impression)
    crit = [
        m for m in imp.findings() if not m.negated and m.head in lx.CRITICAL and is_urgent(imp, m)
    ]
    if not crit:
        return None
    heads = {m.head for m in crit}
    drop = {m.segment for m in imp.findings() if m.head in heads}
    kept = [pair.impression[s:e] for n, (s, e) in enumerate(imp.segments) if n not in drop]
    return Pair(pair.findings, ". ".join(k.strip() for k in kept if k.strip()), pair.context)


def _unstated_critical_sentence(pair: Pair) -> str | None:
    """A critical-finding sentence fitting the exam whose finding neither section states."""
    regions = exam_regions(pair.context.exam)
    region = next((r for r in ("head", "spine", "abdomen", "extremity", "chest") if r in regions),
                  "chest")  # fmt: skip
    stated = {m.head for m in parse(pair.findings + "\n" + pair.impression).findings()}
    for sentence in _CRITICAL_SENTENCES[region]:
        heads = {m.head for m in parse(sentence).findings()} & lx.CRITICAL
        if heads and not heads & stated:
            return sentence
    return None


def add_unreported_critical(pair: Pair, rng: random.Random) -> Pair | None:
    """Add a critical finding (fitting the exam) to the findings; the impression omits it."""
    sentence = _unstated_critical_sentence(pair)
    if sentence is None:
        return None
    return Pair(pair.findings.rstrip() + "\n" + sentence, pair.impression, pair.context)


def add_invented_critical(pair: Pair, rng: random.Random) -> Pair | None:
    """Add a critical finding (fitting the exam) to the impression that the findings never
    state: what a summarizer inventing an emergency looks like."""
    sentence = _unstated_critical_sentence(pair)
    if sentence is None:
        return None
    return Pair(pair.findings, pair.impression.rstrip() + "\n" + sentence, pair.context)


# Findings of another body region, none of them critical: what a summarizer that lost track of
# the exam writes ("diverticulitis" on a head CT). Spine exams may mention nearly any region.
_FOREIGN_SENTENCES: dict[str, tuple[str, ...]] = {
    "chest": ("Mild communicating hydrocephalus.",),
    "head": ("Small right pleural effusion.", "Acute uncomplicated sigmoid diverticulitis."),
    "abdomen": ("Mild communicating hydrocephalus.",),
    "extremity": ("Small right pleural effusion.", "Moderate volume ascites."),
}


def add_foreign_finding(pair: Pair, rng: random.Random) -> Pair | None:
    """Add to the impression a (non-critical) finding of a region the exam does not cover."""
    regions = exam_regions(pair.context.exam)
    stated = {m.head for m in parse(pair.findings + "\n" + pair.impression).findings()}
    for region in sorted(regions):
        for sentence in _FOREIGN_SENTENCES.get(region, ()):
            heads = {m.head for m in parse(sentence).findings()}
            if heads and not heads & stated and not regions - {region}:
                return Pair(pair.findings, pair.impression.rstrip() + "\n" + sentence, pair.context)
    return None


_OTHER_SEX_ORGAN = {
    "male": ("The uterus is enlarged.", "Simple cyst in the left ovary."),
    "female": ("The prostate is enlarged.", "Small right testicular cyst."),
}


def wrong_sex_organ(pair: Pair, rng: random.Random) -> Pair | None:
    """Add an organ of the other sex to the impression (needs a recorded sex)."""
    sex = sex_of(pair.context.patient_sex)
    if sex not in _OTHER_SEX_ORGAN:
        return None
    sentence = rng.choice(_OTHER_SEX_ORGAN[sex])
    return Pair(pair.findings, pair.impression.rstrip() + "\n" + sentence, pair.context)


# error type -> (injector, codes that count as detecting it)
INJECTIONS: dict[str, tuple[Injector, frozenset[str]]] = {
    # A swap that lands on a negated item ("no DVT on the right" where the findings show a
    # right DVT) is caught as a contradicted negation: both are blocking contradictions.
    "side swap": (swap_side, frozenset({"LAT_CONTRA", "NEG_FLIP"})),
    "mm<->cm": (swap_unit, frozenset({"NUM_MISMATCH"})),
    "dropped negation": (drop_negation, frozenset({"NEG_FLIP"})),
    "critical item dropped": (drop_critical_item, frozenset({"CRIT_MISS"})),
    "critical never reported": (add_unreported_critical, frozenset({"CRIT_MISS"})),
    # Invented where the findings deny it ("No pneumothorax.") it reads as a reversed negation.
    "critical invented": (add_invented_critical, frozenset({"CRIT_UNGROUNDED", "NEG_FLIP"})),
    "wrong-sex organ": (wrong_sex_organ, frozenset({"SEX_MISMATCH"})),
    "finding of another region invented": (add_foreign_finding, frozenset({"FOREIGN_FINDING"})),
    "measurements of two findings swapped": (swap_measurements, frozenset({"NUM_MISPLACED"})),
}


@dataclass
class Row:
    applicable: int = 0
    detected: int = 0

    @property
    def rate(self) -> float:
        return self.detected / self.applicable if self.applicable else float("nan")


@dataclass
class Result:
    """Recall per error type and the false-positive rate on clean pairs."""

    clean: int = 0
    clean_flagged: int = 0
    fp_codes: Counter = field(default_factory=Counter)
    rows: dict[str, Row] = field(default_factory=dict)
    missed: dict[str, Counter] = field(default_factory=dict)

    @property
    def fp_rate(self) -> float:
        return self.clean_flagged / self.clean if self.clean else float("nan")

    def meets_targets(self) -> bool:
        recall_ok = all(r.applicable and r.rate >= RECALL_TARGET for r in self.rows.values())
        return recall_ok and self.fp_rate <= FP_TARGET


def evaluate(pairs: list[Pair], seed: int = 0) -> Result:
    """Run the checks on every clean pair and on one injected copy per error type."""
    rng = random.Random(seed)
    result = Result(rows={name: Row() for name in INJECTIONS})
    for pair in pairs:
        clean_codes = {w["code"] for w in run_checks(pair.findings, pair.impression, pair.context)}
        result.clean += 1
        if clean_codes:
            result.clean_flagged += 1
            result.fp_codes.update(clean_codes)
        for name, (inject, expected) in INJECTIONS.items():
            bad = inject(pair, rng)
            if bad is None:
                continue
            found = {w["code"] for w in run_checks(bad.findings, bad.impression, bad.context)}
            row = result.rows[name]
            row.applicable += 1
            if found & expected:
                row.detected += 1
            else:
                result.missed.setdefault(name, Counter()).update(found or {"(none)"})
    return result


def format_table(result: Result) -> str:
    """One markdown table: recall per error type, then the clean-pair false-positive row."""
    lines = [
        "| error type | expected code | pairs | detected | recall | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, row in result.rows.items():
        code = "/".join(sorted(INJECTIONS[name][1]))
        ok = "ok" if row.applicable and row.rate >= RECALL_TARGET else "MISSED"
        lines.append(
            f"| {name} | {code} | {row.applicable} | {row.detected} | {row.rate:.1%} | "
            f">= {RECALL_TARGET:.0%} {ok} |"
        )
    ok = "ok" if result.fp_rate <= FP_TARGET else "MISSED"
    lines.append(
        f"| clean pairs (false positives) | any | {result.clean} | {result.clean_flagged} | "
        f"{result.fp_rate:.1%} | <= {FP_TARGET:.0%} {ok} |"
    )
    if result.fp_codes:
        lines.append("")
        lines.append("false-positive codes on clean pairs: " + _counts(result.fp_codes))
    for name, counter in result.missed.items():
        lines.append(f"missed {name}: codes seen instead: {_counts(counter)}")
    return "\n".join(lines)


def _counts(counter: Counter) -> str:
    return ", ".join(f"{code}={n}" for code, n in counter.most_common())


def corpus_pairs(n: int, seed: int, split: str) -> list[Pair]:
    from export.corpus import generate_cases  # imported here: the CLI stays light

    return [pair_from_case(case) for case in generate_cases(n, seed=seed, split=split)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="impressions check-eval",
        description="Inject labelled errors into corpus pairs; print recall per error type "
        "and the false-positive rate on clean pairs.",
    )
    parser.add_argument("-n", "--n", type=int, default=1000, help="corpus pairs (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default="test", help="corpus split (default test)")
    parser.add_argument(
        "--stress",
        type=int,
        nargs="?",
        const=DEFAULT_STRESS_BYTES,
        metavar="BYTES",
        help="also time the checks on adversarial inputs of BYTES each "
        f"(default {DEFAULT_STRESS_BYTES}: the largest findings postprocess checks)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    pairs = corpus_pairs(args.n, args.seed, args.split)
    result = evaluate(pairs, seed=args.seed)
    elapsed = time.perf_counter() - started
    print(f"check-eval: {len(pairs)} {args.split} pairs, seed {args.seed}, {elapsed:.1f} s")
    print(format_table(result))
    if args.stress:
        print("\nstress: run_checks on adversarial inputs (same text as findings and impression)")
        print(format_stress(time_checks(args.stress)))
    return 0 if result.meets_targets() else 1


if __name__ == "__main__":
    sys.exit(main())
