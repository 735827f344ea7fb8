"""`impressions eval --dataset`: the external sets' metrics, halves, table and files.

Unit tests use small records written here (never the external sets' text). When
`../shared/eval` and `../shared/data` exist, the official scorers run as subprocesses on the same
outputs and must report the same numbers; otherwise those tests skip with a message.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from export import evaluate, external_eval
from export.external_eval import pooled, score_checks, score_summarization
from export.external_metrics import (
    IU_CONSTANT,
    aggregate_cases,
    aggregate_check,
    aggregate_iu,
    cases_extractive,
    exam_regions,
    iu_extractive,
    judge_case,
    judge_check,
    judge_iu,
    must_ok,
    positive_terms,
    reads_normal,
    wrong_region_phrases,
)
from export.external_runners import Answer, check_inputs, impression_inputs
from export.external_sets import (
    Dataset,
    DatasetError,
    findings_of,
    half_of,
    kind_of,
    load_dataset,
    report_text,
    select_half,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EVAL, DATA = SHARED / "eval", SHARED / "data"


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# --------------------------------------------------------------------------- synthetic records
IU = [
    {
        "id": "a1",
        "exam": "XR CHEST PA AND LATERAL",
        "findings": "Heart size normal. Moderate left pleural effusion. No pneumothorax.",
        "impression": "Moderate left pleural effusion.",
    },
    {
        "id": "a2",
        "exam": "XR CHEST",
        "findings": "Lungs are clear. No focal airspace disease.",
        "impression": "No acute cardiopulmonary disease.",
    },
    {
        "id": "a3",
        "exam": "XR CHEST",
        "findings": "Right lower lobe opacity. Small granuloma.",
        "impression": "Right lower lobe pneumonia. Calcified granuloma.",
    },
]
CASES = [
    {
        "id": "c1",
        "exam": "CT HEAD WITHOUT CONTRAST",
        "sex": "F",
        "age": 71,
        "findings": "Acute left parietal hemorrhage measuring 2 cm. No midline shift.",
        "impression": "Acute left parietal hemorrhage.",
        "must": ["hemorrhage|bleed", "left"],
        "never": ["right parietal"],
        "acute": True,
    },
    {
        "id": "c2",
        "exam": "US PELVIS",
        "sex": "F",
        "age": 40,
        "findings": "Uterus and ovaries are normal. No free fluid.",
        "impression": "Normal pelvic ultrasound.",
        "must": ["normal|unremarkable"],
        "never": [],
        "acute": False,
    },
]
CHECKS = [
    {
        "id": "k1",
        "sex": "M",
        "exam": "XR",
        "report_text": "FINDINGS: x. IMPRESSION: y.",
        "expect": "",
    },
    {
        "id": "k2",
        "sex": "M",
        "exam": "XR",
        "report_text": "FINDINGS: x. IMPRESSION: y.",
        "expect": "",
    },
    {"id": "k3", "report_text": "FINDINGS: x. IMPRESSION: y.", "expect": "NEG_FLIP"},
    {"id": "k4", "report_text": "FINDINGS: x. IMPRESSION: y.", "expect": "LAT_CONTRA"},
    {"id": "k5", "report_text": "FINDINGS: x. IMPRESSION: y.", "expect": "CRIT_MISS"},
]


def _warn(code: str, severity: str = "block") -> dict[str, str]:
    return {"code": code, "severity": severity, "message": "m"}


# --------------------------------------------------------------------------- sets and halves
def test_half_is_the_sha256_parity_of_the_id_and_splits_both_ways() -> None:
    ids = [f"case-{i:03d}" for i in range(200)]
    for case_id in ids:
        even = int(hashlib.sha256(case_id.encode()).hexdigest(), 16) % 2 == 0
        assert half_of(case_id) == ("read" if even else "unread")
    records = [{"id": i} for i in ids]
    read, unread = select_half(records, "read"), select_half(records, "unread")
    assert 60 < len(read) < 140 and len(read) + len(unread) == 200
    assert {r["id"] for r in read}.isdisjoint({r["id"] for r in unread})
    assert select_half(records, "all") == records
    with pytest.raises(ValueError):
        select_half(records, "half")


def test_kind_report_text_and_findings_follow_run_cases() -> None:
    assert kind_of(IU) == "iu" and kind_of(CASES) == "cases" and kind_of(CHECKS) == "check"
    case = {"exam": "CT HEAD", "indication": "fall", "comparison": "", "findings": "F."}
    assert report_text(case) == "EXAM: CT HEAD\nINDICATION: fall\nFINDINGS:\nF."
    assert report_text({"report_text": "R", "findings": "F"}) == "R"
    assert findings_of({"report_text": "EXAM: XR CHEST\nFINDINGS: Small effusion."}) == (
        "Small effusion."
    )
    inputs = impression_inputs(CASES[0])
    assert inputs["exam"] == "CT HEAD WITHOUT CONTRAST" and inputs["patient_age"] == "71"
    assert inputs["patient_sex"] == "F" and inputs["report_text"].startswith("EXAM: CT HEAD")
    assert impression_inputs({"findings": "F.", "sex": ""})["patient_sex"] is None
    assert set(check_inputs(CHECKS[0])) == {"report_text", "patient_sex"}


def test_load_dataset_names_line_and_field_never_text(tmp_path: Path) -> None:
    secret = "Patient text that must not leak"
    bad = _write(tmp_path / "bad.jsonl", [IU[0], {"id": "x2", "findings": secret}])
    with pytest.raises(DatasetError) as err:
        load_dataset(bad)
    assert "line 2" in str(err.value) and "impression" in str(err.value)
    assert secret not in str(err.value)
    dup = _write(tmp_path / "dup.jsonl", [IU[0], IU[0]])
    with pytest.raises(DatasetError, match="duplicate id a1"):
        load_dataset(dup)
    ok = load_dataset(_write(tmp_path / "ok.jsonl", CASES))
    assert ok.kind == "cases" and [r["id"] for r in ok.records] == ["c1", "c2"]


# --------------------------------------------------------------------------- IU metrics
def test_positive_terms_skip_negated_mentions_per_sentence() -> None:
    assert positive_terms("No pneumothorax. Small left effusion.") == {"effusion"}
    assert positive_terms("Effusion has resolved.") == {"effusion"}  # cue after the term
    assert positive_terms("Resolved effusion. Enlarged heart.") == {"cardiomegaly"}
    assert reads_normal("No acute cardiopulmonary abnormality.")
    assert not reads_normal("No acute process. Small effusion.")


def test_iu_judgement_false_normal_invented_and_aggregate() -> None:
    normal = judge_iu(IU[0], "No acute cardiopulmonary abnormality.")
    assert normal.false_normal and normal.failures()["acute_missed"] == ["effusion"]
    invented = judge_iu(IU[1], "Large right pneumothorax.")
    assert invented.invented == {"pneumothorax"} and not invented.false_normal
    grounded = judge_iu(IU[2], "Right lower lobe pneumonia.")  # reference states it: not invented
    assert not grounded.invented and grounded.key_found == {"consolidation"}
    empty = judge_iu(IU[2], "")
    assert empty.error and empty.rouge_l == 0.0
    summary = aggregate_iu([normal, invented, grounded])
    # references: {effusion}, {}, {consolidation, granuloma}; found effusion 0, consolidation 1
    assert summary["key_recall"] == round(1 / 3, 3)
    assert summary["acute_recall"] == 0.5 and summary["acute_cases"] == 2
    assert summary["false_normal"] == 1 and summary["invented_acute"] == 1
    assert summary["errors"] == 0 and summary["cases"] == 3


def test_extractive_baselines_keep_only_non_normal_sentences() -> None:
    assert iu_extractive(IU[0]["findings"]) == "Moderate left pleural effusion."
    assert iu_extractive(IU[1]["findings"]) == IU_CONSTANT
    assert cases_extractive(CASES[1]["findings"]) == "No acute abnormality."
    assert cases_extractive("Mass in the liver; stable cyst.") == "Mass in the liver;"


# --------------------------------------------------------------------------- hand-written cases
def test_case_judgement_must_never_and_acute_answered_normal() -> None:
    assert must_ok("Acute LEFT parietal bleed.", ["hemorrhage|bleed", "left"])
    assert not must_ok("Acute parietal bleed.", ["hemorrhage|bleed", "left"])
    good = judge_case(CASES[0], "1. Acute left parietal hemorrhage.")
    assert not good.failed
    flipped = judge_case(CASES[0], "Acute right parietal hemorrhage.")
    assert flipped.never_hit == ("right parietal",) and flipped.must_missed == ("left",)
    normal = judge_case(CASES[0], "1. No acute intracranial abnormality.")
    assert normal.acute_normal and normal.failures()["acute_answered_normal"]
    summary = aggregate_cases([good, flipped, normal], ["c1", "c1b", "c1c"])
    assert summary["must_pct"] == 33.3 and summary["never_violations"] == 1
    assert summary["acute_answered_normal"] == 1 and summary["failed_ids"] == ["c1b", "c1c"]


# --------------------------------------------------------------------------- report check
def test_check_counts_code_families_and_blocked_clean_reports() -> None:
    results = [
        {"warnings": [_warn("SEX_MISMATCH", "warn")]},  # clean, warn only: not blocked
        {"error": "rejected"},  # clean, failed request: counts as blocked
        {"warnings": [_warn("CRIT_UNGROUNDED")]},  # NEG_FLIP caught by its family
        {"warnings": [_warn("LAT_DROP", "warn")]},  # LAT_CONTRA caught by LAT_DROP
        {"warnings": [_warn("CRIT_UNGROUNDED")]},  # CRIT_MISS has no family
    ]
    judged = [judge_check(c, r) for c, r in zip(CHECKS, results, strict=True)]
    summary = aggregate_check(judged, [c["id"] for c in CHECKS])
    assert summary["recall"] == {"CRIT_MISS": "0/1", "LAT_CONTRA": "1/1", "NEG_FLIP": "1/1"}
    assert summary["clean_blocked"] == 1 and summary["clean"] == 2
    assert summary["missed_ids"] == ["k5"] and summary["false_positive_ids"] == ["k2"]
    assert judge_check(CHECKS[2], None).failures() == {"missed": "NEG_FLIP"}


# --------------------------------------------------------------------------- wrong region
def test_wrong_region_normal_phrase_against_the_exam_region() -> None:
    assert wrong_region_phrases(
        "1. Small effusion. 2. No acute intracranial abnormality.", "XR CHEST"
    ) == ["head"]
    assert wrong_region_phrases("Unremarkable pelvic ultrasound.", "CXR") == ["abdomen"]
    assert wrong_region_phrases("Normal MRI of the lumbar spine.", "XR CHEST") == ["spine"]
    assert wrong_region_phrases("No acute cardiopulmonary process.", "XR CHEST") == []
    assert wrong_region_phrases("Unremarkable pelvic ultrasound.", "US PELVIS") == []
    # an exam that names two regions covers both; an unknown exam cannot be judged
    assert exam_regions("CT CHEST ABDOMEN PELVIS") == {"chest", "abdomen"}
    assert wrong_region_phrases("No acute abdominal process.", "CT chest abdomen pelvis") == []
    assert wrong_region_phrases("No acute intracranial abnormality.", None) == []
    # a finding that names a region is not a normal phrase
    assert wrong_region_phrases("Pelvic fracture.", "XR CHEST") == []


# --------------------------------------------------------------------------- one set, end to end
def test_summarization_result_counts_rejections_blocks_and_regions() -> None:
    answers = [
        Answer("No acute intracranial abnormality.", [_warn("CRIT_MISS")]),
        Answer(error="report_text has no FINDINGS text"),
        Answer("Right lower lobe pneumonia.", [_warn("STYLE_FALLBACK", "warn")]),
    ]
    result = score_summarization(Dataset("iu.jsonl", "iu", IU), IU, answers)
    assert set(result.systems) == {"served", "extractive baseline", "constant normal"}
    served = result.systems["served"]
    assert served["errors"] == 1 and served["false_normal"] == 1
    assert result.served["rejected_ids"] == ["a2"] and result.served["blocked"] == 1
    assert result.served["wrong_region_normal"] == 1
    rows = {r["id"]: r for r in result.failures}
    assert rows["a1"]["failed"]["wrong_region_normal"] == ["head"]
    assert rows["a1"]["warnings"] == ["CRIT_MISS"]
    assert rows["a2"]["failed"]["rejected"] and "impression" not in rows["a2"]
    baseline = result.systems["extractive baseline"]
    assert baseline["false_normal"] == 0 and baseline["errors"] == 0


def test_pooled_row_covers_every_summarization_file() -> None:
    first, second = CASES[:1], CASES[1:]
    answers = [[Answer("Acute left parietal hemorrhage.")], [Answer("Normal pelvic ultrasound.")]]
    pool = pooled(
        [
            (Dataset("a.jsonl", "cases", first), first, answers[0]),
            (Dataset("b.jsonl", "cases", second), second, answers[1]),
        ]
    )
    assert pool.systems["served"]["cases"] == 2 and pool.systems["served"]["must_pct"] == 100.0
    assert "a.jsonl+b.jsonl" in pool.name


class FakeRunner:
    """Answers every case with its reference impression, except the last: rejected."""

    description = "fake runner"

    def summarize(self, cases: list[dict[str, Any]], progress: Any) -> list[Answer]:
        out = [Answer(c["impression"], [_warn("UNGROUNDED")]) for c in cases]
        out[-1] = Answer(error="report_text has no FINDINGS text")
        progress(len(cases), len(cases))
        return out

    def check(self, cases: list[dict[str, Any]], progress: Any) -> list[Answer]:
        return [Answer(None, [_warn(c["expect"] or "SEX_MISMATCH", "warn")]) for c in cases]


def test_cli_prints_ids_and_scores_only_and_writes_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(external_eval, "_runner", lambda args: FakeRunner())
    iu = _write(tmp_path / "iu.jsonl", IU)
    one = _write(tmp_path / "one.jsonl", CASES)
    two = _write(tmp_path / "two.jsonl", [dict(c, id=c["id"] + "b") for c in CASES])
    check = _write(tmp_path / "check.jsonl", CHECKS)
    errors, scores = tmp_path / "errors.jsonl", tmp_path / "scores.json"
    argv = ["--dataset", str(iu), "--dataset", str(one), "--dataset", str(two)]
    argv += ["--dataset", str(check), "--errors-out", str(errors), "--json-out", str(scores)]
    argv += ["--results-out", str(tmp_path / "answers")]
    assert evaluate.main(argv) == 0  # `impressions eval --dataset` dispatches here
    out = capsys.readouterr().out
    for record in IU + CASES:  # no report or impression text on stdout
        assert record["findings"] not in out and record["impression"] not in out
    assert "### pooled (one.jsonl+two.jsonl)" in out and "| constant normal |" in out
    assert "| served | 1/1 | 1/1 | 1/1 | 3/3 | 0/2 | 0 |" in out
    payload = json.loads(scores.read_text())
    assert [s["name"] for s in payload["sets"]][-1].startswith("pooled")
    rows = {(r["set"], r["id"]): r for r in map(json.loads, errors.read_text().splitlines())}
    assert rows[("iu.jsonl", "a3")]["failed"]["rejected"]
    assert rows[("iu.jsonl", "a3")]["error"] == "report_text has no FINDINGS text"
    assert ("iu.jsonl", "a1") not in rows  # the reference itself fails nothing
    answers = [json.loads(line) for line in (tmp_path / "answers" / "iu.jsonl").open()]
    assert [a["id"] for a in answers] == ["a1", "a2", "a3"]  # run_cases.py's lines, every case
    assert answers[0]["impression"] == IU[0]["impression"] and "error" in answers[2]
    checked = [json.loads(line) for line in (tmp_path / "answers" / "check.jsonl").open()]
    assert checked[2]["warnings"][0]["code"] == "NEG_FLIP" and "impression" not in checked[2]


def test_cli_refuses_errors_of_the_unread_half_and_paths_in_the_checkout(tmp_path: Path) -> None:
    data = _write(tmp_path / "iu.jsonl", IU)
    unread = ["--dataset", str(data), "--half", "unread", "--errors-out", str(tmp_path / "e")]
    assert external_eval.main(unread) == 2
    inside = ["--dataset", str(data), "--errors-out", str(ROOT / "errors.jsonl")]
    assert external_eval.main(inside) == 2
    assert not (ROOT / "errors.jsonl").exists()
    answers = ["--dataset", str(data), "--half", "unread", "--results-out", str(tmp_path / "r")]
    assert external_eval.main(answers) == 2
    other = tmp_path / "other"
    other.mkdir()
    twice = ["--dataset", str(data), "--dataset", str(_write(other / "iu.jsonl", IU))]
    assert external_eval.main(twice) == 2


def test_check_set_result_scores_runner_answers() -> None:
    answers = FakeRunner().check(CHECKS, lambda done, total: None)
    result = score_checks(Dataset("check.jsonl", "check", CHECKS), CHECKS, answers)
    assert result.systems["served"]["caught"] == 3 and result.served["blocked"] == 0


# --------------------------------------------------------------------------- official scorers
needs_shared = pytest.mark.skipif(
    not (EVAL.is_dir() and DATA.is_dir()),
    reason=f"{SHARED} (official scorers and external data) is absent: agreement not checked",
)


def _scorer(script: str, *args: Path) -> list[dict[str, Any]]:
    """The official scorer's JSON lines, run with this venv's python."""
    done = subprocess.run(
        [sys.executable, str(EVAL / script), *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _impressions(path: Path, cases: list[dict[str, Any]], outputs: list[str]) -> Path:
    """A results file as run_cases.py writes it (tmp only: it holds the set's ids)."""
    rows = [{"id": c["id"], "impression": o} for c, o in zip(cases, outputs, strict=True)]
    return _write(path, rows)


def _slice(path: Path, n: int) -> list[dict[str, Any]]:
    return load_dataset(path).records[:n]


def _mixed_outputs(cases: list[dict[str, Any]], extractive: Any, constant: str) -> list[str]:
    """Outputs that exercise every metric: baselines, the reference, empty, a false normal."""
    picks = []
    for i, case in enumerate(cases):
        kind = i % 5
        findings = findings_of(case)
        picks.append(
            [extractive(findings), constant, case["impression"], "", constant + " Small effusion."][
                kind
            ]
        )
    return picks


@needs_shared
def test_iu_metrics_equal_score_iu_on_the_same_outputs(tmp_path: Path) -> None:
    cases = _slice(DATA / "iu-xray" / "dev.jsonl", 400)
    outputs = _mixed_outputs(cases, iu_extractive, IU_CONSTANT)
    case_file = _write(tmp_path / "cases.jsonl", cases)
    results = _impressions(tmp_path / "mixed.jsonl", cases, outputs)
    lines = {r.pop("system"): r for r in _scorer("score_iu.py", case_file, results)}
    ours = {
        "extractive": [iu_extractive(findings_of(c)) for c in cases],
        "constant-normal": [IU_CONSTANT] * len(cases),
        "mixed.jsonl": outputs,
    }
    for system, outs in ours.items():
        mine = aggregate_iu([judge_iu(c, o) for c, o in zip(cases, outs, strict=True)])
        assert mine == lines[system], system


@needs_shared
@pytest.mark.parametrize("name", ["dev-chest", "dev-neuro", "dev-abdomen", "dev-mskvasc"])
def test_case_metrics_equal_score_cases_on_the_same_outputs(tmp_path: Path, name: str) -> None:
    cases = load_dataset(DATA / "handwritten" / f"{name}.jsonl").records
    outputs = _mixed_outputs(cases, cases_extractive, "No acute abnormality.")
    case_file = _write(tmp_path / "cases.jsonl", cases)
    results = _impressions(tmp_path / "mixed.jsonl", cases, outputs)
    lines = {r.pop("system"): r for r in _scorer("score_cases.py", case_file, results)}
    ids = [c["id"] for c in cases]
    base = aggregate_cases([judge_case(c, cases_extractive(findings_of(c))) for c in cases], ids)
    base.pop("failed_ids")
    assert base == lines["extractive"]
    mixed = aggregate_cases([judge_case(c, o) for c, o in zip(cases, outputs, strict=True)], ids)
    assert mixed == lines["mixed.jsonl"]


@needs_shared
def test_check_metrics_equal_score_check_on_the_served_checks(tmp_path: Path) -> None:
    """The real report_check entry point on every report-check case, scored both ways."""
    from export.external_runners import InProcessRunner

    cases = load_dataset(DATA / "handwritten" / "dev-check.jsonl").records
    runner = InProcessRunner(ROOT / "model_repository", ROOT / "export" / "checkpoints" / "demo")
    answers = runner.check(cases, lambda done, total: None)
    results = _write(
        tmp_path / "served.jsonl",
        [{"id": c["id"], **a.as_result()} for c, a in zip(cases, answers, strict=True)],
    )
    [line] = _scorer("score_check.py", _write(tmp_path / "cases.jsonl", cases), results)
    result = score_checks(Dataset("dev-check.jsonl", "check", cases), cases, answers)
    assert result.systems["served"] == line


@needs_shared
@pytest.mark.skipif(
    not (ROOT / "model_repository" / "generator" / "1" / "model.onnx").exists(),
    reason="no exported generator: run `make artifacts`",
)
def test_served_pipeline_in_process_scores_like_score_cases(tmp_path: Path) -> None:
    """A few real cases through the in-process served pipeline, scored both ways."""
    from export.external_runners import InProcessRunner

    cases = load_dataset(DATA / "handwritten" / "dev-neuro.jsonl").records[:6]
    runner = InProcessRunner(ROOT / "model_repository", ROOT / "export" / "checkpoints" / "demo")
    answers = runner.summarize(cases, lambda done, total: None)
    assert all(a.impression or a.error for a in answers)
    assert "ORT fp32" in runner.description
    results = _write(
        tmp_path / "served.jsonl",
        [{"id": c["id"], **a.as_result()} for c, a in zip(cases, answers, strict=True)],
    )
    lines = _scorer("score_cases.py", _write(tmp_path / "cases.jsonl", cases), results)
    result = score_summarization(Dataset("dev-neuro.jsonl", "cases", cases), cases, answers)
    assert {k: v for k, v in lines[-1].items() if k != "system"} == result.systems["served"]
