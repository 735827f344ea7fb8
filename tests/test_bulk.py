"""Bulk runner without a server: input checks, resume rules, retries and accounting."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from clients import bulk
from clients.bulk import BulkAborted, BulkRunner, RetryPolicy, plan, run_bulk
from clients.bulk_io import (
    OUTPUT_MODE,
    InputFileError,
    OutputWriter,
    Record,
    read_records,
    resume_output,
)
from clients.client import (
    Impression,
    InvalidReportError,
    Report,
    ServerBusyError,
    ServerUnreachableError,
)

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.002)


def write_lines(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_input_with_context(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "report_text": "No pneumothorax.", "patient_age": 61, "exam": "CT chest"},
            {"id": 7, "report_text": ""},
        ],
    )
    first, second = read_records(path)
    assert first.id == "a" and first.report.patient_age == "61"
    assert first.report.exam == "CT chest" and first.report.radiologist_id is None
    assert second.id == "7" and second.report.report_text == ""


def test_csv_input_keeps_multiline_text(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        'id,report_text,patient_sex\nr1,"FINDINGS:\nSmall left effusion.",F\nr2,Clear lungs.,\n',
        encoding="utf-8",
    )
    records = read_records(path)
    assert [r.id for r in records] == ["r1", "r2"]
    assert records[0].report.report_text == "FINDINGS:\nSmall left effusion."
    assert records[0].report.patient_sex == "F" and records[1].report.patient_sex == ""


def test_duplicate_and_missing_ids_are_listed_up_front(tmp_path: Path) -> None:
    secret = "Patient John Doe has a nodule."
    path = write_lines(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "report_text": secret},
            {"report_text": secret},
            {"id": "a", "report_text": secret},
            {"id": "b"},
        ],
    )
    with pytest.raises(InputFileError) as info:
        read_records(path)
    message = str(info.value)
    assert "3 bad records" in message
    assert "line 2: missing id" in message
    assert "line 3: duplicate id (first at line 1)" in message
    assert "line 4: report_text missing" in message
    assert secret not in message


def test_broken_json_input_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "report_text": "x"}\n{"id": "b", "report_\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="line 2: not valid JSON"):
        read_records(path)


def test_unknown_suffix_needs_format(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputFileError, match="--format"):
        read_records(path)
    assert read_records(path, "jsonl") == []


def test_resume_cuts_a_torn_last_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    good = {"id": "a", "impression": "x", "warnings": [], "error": None, "latency_ms": 1.0}
    bad = {"id": "b", "impression": None, "warnings": None, "error": {"type": "X"}}
    out.write_text(json.dumps(good) + "\n" + json.dumps(bad) + '\n{"id": "c", "impr', "utf-8")
    state = resume_output(out)
    assert state.done_ids == {"a"} and state.failed_ids == {"b"}
    assert state.torn_bytes == len('{"id": "c", "impr')
    assert out.read_text("utf-8").endswith("\n") and '"c"' not in out.read_text("utf-8")


def test_resume_refuses_a_foreign_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("hello world\n" + json.dumps({"id": "a"}) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="line 1 is not a bulk output line"):
        resume_output(out)
    assert out.read_text("utf-8").startswith("hello world")  # untouched


@pytest.mark.parametrize(
    "content",
    [
        # a foreign first line; the torn-looking tail must not be cut before the refusal
        b'hello world\n{"id": "a"}\n{"id": "c", "impr',
        b"name,age",  # one line, no newline: all of it would count as "torn"
        b'{"id": "a", "error": null}\n{"rows": [1, 2',  # a tail that is not one of our lines
    ],
)
def test_foreign_file_is_refused_byte_for_byte(tmp_path: Path, content: bytes) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(content)
    with pytest.raises(InputFileError, match="not a bulk output line"):
        resume_output(out)
    assert out.read_bytes() == content


def test_resume_cuts_a_tail_torn_inside_the_id_key(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"id": "a", "error": null}\n{"i')
    state = resume_output(out)
    assert state.done_ids == {"a"} and state.torn_bytes == 3
    assert out.read_bytes() == b'{"id": "a", "error": null}\n'


def test_output_is_private_when_created_and_when_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with OutputWriter(out) as writer:
        writer.write({"impression": "x", "id": "a", "error": None})
        writer.write({"id": "b", "impression": None, "error": {"type": "ServerBusyError"}})
    assert out.stat().st_mode & 0o777 == OUTPUT_MODE == 0o600
    assert out.read_text("utf-8").startswith('{"id":"a",')  # id first, whatever the dict order
    out.chmod(0o644)  # e.g. written by an older version
    resume_output(out, retry_failed=True)
    assert out.stat().st_mode & 0o777 == 0o600
    assert [json.loads(line)["id"] for line in out.read_text("utf-8").splitlines()] == ["a"]


def test_retry_failed_drops_error_lines(tmp_path: Path) -> None:
    out = write_lines(
        tmp_path / "out.jsonl",
        [{"id": "a", "error": None}, {"id": "b", "error": {"type": "ServerBusyError"}}],
    )
    state = resume_output(out, retry_failed=True)
    assert state.done_ids == {"a"} and state.failed_ids == set()
    assert [json.loads(line)["id"] for line in out.read_text("utf-8").splitlines()] == ["a"]


def test_plan_skips_written_ids(tmp_path: Path) -> None:
    rows = [{"id": str(i), "report_text": f"{i} mm nodule."} for i in range(5)]
    source = write_lines(tmp_path / "in.jsonl", rows)
    out = write_lines(tmp_path / "out.jsonl", [{"id": "1", "error": None}, {"id": "3", "error": 1}])
    work = plan(source, out)
    assert len(work.records) == 5 and [r.id for r in work.todo] == ["0", "2", "4"]
    assert work.failed_earlier == 1  # "3" has an error line


@pytest.mark.parametrize(
    ("error", "expected"), [(None, bulk.EXIT_OK), (1, bulk.EXIT_FAILED_RECORDS)]
)
def test_rerun_with_nothing_to_do_reports_error_lines_left_in_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], error: object, expected: int
) -> None:
    rows = [{"id": str(i), "report_text": f"{i} mm nodule."} for i in range(3)]
    source = write_lines(tmp_path / "in.jsonl", rows)
    lines = [{"id": "0", "error": None}, {"id": "1", "error": error}, {"id": "2", "error": None}]
    out = write_lines(tmp_path / "out.jsonl", lines)
    before = out.read_bytes()
    # nothing is left to send, so no server is contacted (port 1 would refuse)
    assert bulk.main([str(source), str(out), "--url", "127.0.0.1:1", "--no-progress"]) == expected
    printed = capsys.readouterr()
    assert out.read_bytes() == before
    assert "skipped (already in output)  3" in printed.out
    if expected == bulk.EXIT_FAILED_RECORDS:
        assert "out.jsonl: 1 of 3 records carry an error (0 from this run)" in printed.err
    else:
        assert "carry an error" not in printed.err


def test_writer_appends_whole_lines(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.jsonl"
    big = "Épanchement " * 5000  # bigger than any buffer: still one line
    with OutputWriter(out) as writer:
        writer.write({"id": "a", "impression": big})
    with OutputWriter(out) as writer:
        writer.write({"id": "b", "impression": "x"})
    lines = out.read_text("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b"]
    assert json.loads(lines[0])["impression"] == big


class FakeClient:
    """Answers by report text: 'bad' is invalid, 'busy:N' is busy N times, 'down' unreachable."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0

    async def summarize(self, report: Report) -> Impression:
        text = report.report_text
        self.calls[text] = self.calls.get(text, 0) + 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            if text == "bad":
                raise InvalidReportError("report_text is empty", "StatusCode.INVALID_ARGUMENT")
            if text == "down":
                raise ServerUnreachableError("failed to connect", "StatusCode.UNAVAILABLE")
            if text.startswith("busy:") and self.calls[text] <= int(text.split(":")[1]):
                raise ServerBusyError("Exceeds maximum queue size", "StatusCode.UNAVAILABLE")
            return Impression(f"impression of {text}", [{"code": "W", "severity": "warn"}])
        finally:
            self.in_flight -= 1


def records_of(*texts: str) -> list[Record]:
    return [Record(f"id{i}", Report(t)) for i, t in enumerate(texts)]


def read_out(path: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert len(rows) == len({r["id"] for r in rows}), "one line per id"
    return {r["id"]: r for r in rows}


def test_runner_retries_busy_and_writes_bad_records(tmp_path: Path) -> None:
    client = FakeClient()
    texts = ["ok"] * 20 + ["bad", "busy:2", "busy:9"]
    records = [Record(f"id{i}", Report(t if t != "ok" else f"ok{i}")) for i, t in enumerate(texts)]
    out = tmp_path / "out.jsonl"
    stats = asyncio.run(run_bulk(records, out, client, concurrency=4, retry=FAST, progress=False))
    rows = read_out(out)
    assert set(rows) == {r.id for r in records}
    assert (
        rows["id20"]["error"]["type"] == "InvalidReportError" and rows["id20"]["impression"] is None
    )
    assert rows["id21"]["error"] is None and rows["id21"]["impression"] == "impression of busy:2"
    assert rows["id22"]["error"]["type"] == "ServerBusyError"  # gave up after 4 attempts
    assert client.calls["busy:2"] == 3 and client.calls["busy:9"] == FAST.max_attempts
    assert client.calls["bad"] == 1
    assert (stats.done, stats.failed, stats.retried) == (21, 2, 2 + 3)
    assert client.max_in_flight <= 4
    assert len(stats.latencies_ms) == 21


def test_unreachable_server_aborts_without_marking_records(tmp_path: Path) -> None:
    client = FakeClient()
    out = tmp_path / "out.jsonl"
    records = records_of("ok", "down", *[f"later{i}" for i in range(50)])
    with pytest.raises(BulkAborted, match="server unavailable after 4 attempts"):
        asyncio.run(run_bulk(records, out, client, concurrency=1, retry=FAST, progress=False))
    rows = read_out(out)
    assert set(rows) == {"id0"}  # "down" and everything after it stay for the resume
    assert client.calls["down"] == FAST.max_attempts
    assert not any(text.startswith("later") for text in client.calls)


def test_runner_with_bounded_workers_finishes_everything(tmp_path: Path) -> None:
    client = FakeClient()
    out = tmp_path / "out.jsonl"
    with OutputWriter(out) as writer:
        runner = BulkRunner(client, writer, concurrency=8, retry=FAST, progress=False, seed=1)
        stats = asyncio.run(runner.run(records_of(*[f"r{i}" for i in range(200)]), 200))
    assert len(read_out(out)) == 200 and stats.done == 200 and client.max_in_flight == 8


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=1.0)
    rng = random.Random(0)
    delays = [policy.delay(attempt, rng) for attempt in range(1, 8)]
    assert 0.05 <= delays[0] <= 0.1
    assert 0.2 <= delays[2] <= 0.4
    assert all(0.5 <= d <= 1.0 for d in delays[4:])


def test_bulk_refuses_duplicate_ids_before_any_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,report_text\na,No effusion.\na,Clear lungs.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert bulk.main([str(source), str(out), "--url", "127.0.0.1:1"]) == bulk.EXIT_INPUT
    assert "row 2: duplicate id (first at row 1)" in capsys.readouterr().err
    assert not out.exists()
