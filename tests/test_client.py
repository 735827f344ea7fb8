"""Client library without a server: tensors, result parsing, error mapping, the CLI's exits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from clients import summarize_cmd
from clients.client import (
    ImpressionsError,
    InvalidReportError,
    ModelNotReadyError,
    Report,
    RequestTimeoutError,
    ServerBusyError,
    ServerUnreachableError,
    build_inputs,
    classify_error,
    error_record,
    parse_result,
    request_columns,
)
from clients.server import free_port

TEXT = "FINDINGS: Kleiner Pleuraerguss rechts – kein Pneumothorax."


def test_only_report_text_is_sent_without_context() -> None:
    columns = request_columns([Report(TEXT)])
    assert list(columns) == ["report_text"]
    assert columns["report_text"].shape == (1, 1)
    assert columns["report_text"].dtype == np.object_
    assert columns["report_text"][0, 0].decode("utf-8") == TEXT


def test_optional_column_covers_the_batch_with_blanks() -> None:
    columns = request_columns([Report("a", patient_age="61"), Report("b"), Report("c", exam="")])
    assert set(columns) == {"report_text", "patient_age"}
    assert columns["patient_age"].reshape(-1).tolist() == [b"61", b"", b""]


def test_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError):
        request_columns([])


@pytest.mark.parametrize("module", [httpclient, grpcclient], ids=["http", "grpc"])
def test_build_inputs_makes_bytes_b1_tensors(module: object) -> None:
    inputs = build_inputs(module, [Report(TEXT, radiologist_id="dr_a"), Report("x")])
    assert [(i.name(), i.shape(), i.datatype()) for i in inputs] == [
        ("report_text", [2, 1], "BYTES"),
        ("radiologist_id", [2, 1], "BYTES"),
    ]


class _Result:
    def __init__(self, impressions: list[bytes], warnings: list[bytes]) -> None:
        self.outputs = {
            "impression": np.array(impressions, dtype=np.object_).reshape(-1, 1),
            "warnings": np.array(warnings, dtype=np.object_).reshape(-1, 1),
        }

    def as_numpy(self, name: str) -> np.ndarray | None:
        return self.outputs.get(name)


def test_parse_result_decodes_text_and_warnings() -> None:
    warning = {"code": "LAT_CONTRA", "severity": "block", "message": "side differs"}
    result = _Result(["Épanchement.".encode(), b"Normal."], [json.dumps([warning]).encode(), b"[]"])
    first, second = parse_result(result, expected_rows=2)
    assert first.impression == "Épanchement." and first.warnings == [warning] and first.blocking
    assert second.warnings == [] and not second.blocking


def test_parse_result_rejects_bad_responses() -> None:
    with pytest.raises(ImpressionsError, match="for 3 reports"):
        parse_result(_Result([b"a"], [b"[]"]), expected_rows=3)
    with pytest.raises(ImpressionsError, match="not valid JSON"):
        parse_result(_Result([b"a"], [b"{oops"]))
    with pytest.raises(ImpressionsError, match="not a JSON list"):
        parse_result(_Result([b"a"], [b'{"code": 1}']))


def test_repr_never_shows_report_or_impression_text() -> None:
    assert TEXT not in repr(Report(TEXT))
    answer = parse_result(_Result([TEXT.encode()], [b"[]"]))[0]
    assert TEXT not in repr(answer)


# Messages and statuses as tritonclient 2.51 builds them from the real server (seen there).
@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (
            "StatusCode.INVALID_ARGUMENT",
            "in ensemble 'impression', report_text is empty",
            "Invalid",
        ),
        ("400", "in ensemble 'impression', report_text is empty", "Invalid"),
        (
            "StatusCode.UNAVAILABLE",
            "in ensemble 'impression', [request id: <id_unknown>] Exceeds maximum queue size",
            "Busy",
        ),
        ("503", "Exceeds maximum queue size", "Busy"),
        ("StatusCode.RESOURCE_EXHAUSTED", "too many requests", "Busy"),
        (
            "StatusCode.UNAVAILABLE",
            "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: "
            "Failed to connect to remote host: Connection refused",
            "Unreachable",
        ),
        ("StatusCode.DEADLINE_EXCEEDED", "Deadline Exceeded", "Timeout"),
        (
            "StatusCode.NOT_FOUND",
            "Request for unknown model: 'impression' is not found",
            "NotReady",
        ),
        ("404", "Request for unknown model: 'impression' is not found", "NotReady"),
        ("400", "Request for unknown model: 'impression' has no available versions", "NotReady"),
        ("StatusCode.INTERNAL", "Stub process 'generator_0_0' is not healthy.", "Other"),
    ],
)
def test_classify_error(status: str, message: str, expected: str) -> None:
    kinds = {
        "Invalid": InvalidReportError,
        "Busy": ServerBusyError,
        "Unreachable": ServerUnreachableError,
        "Timeout": RequestTimeoutError,
        "NotReady": ModelNotReadyError,
        "Other": ImpressionsError,
    }
    error = classify_error(InferenceServerException(message, status=status))
    assert type(error) is kinds[expected]
    assert error.status == status and error.message == message
    assert error.retryable == (expected not in {"Invalid", "Other"})


def test_error_record_is_json_ready() -> None:
    record = error_record(InvalidReportError("report_text is empty", "400"))
    assert json.loads(json.dumps(record)) == {
        "type": "InvalidReportError",
        "status": "400",
        "message": "report_text is empty",
    }


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_summarize_cli_without_server_exits_3(
    protocol: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text(TEXT, encoding="utf-8")
    url = f"127.0.0.1:{free_port()}"
    code = summarize_cmd.main([str(report), "--url", url, "--protocol", protocol, "--timeout", "5"])
    assert code == 3
    err = capsys.readouterr().err
    assert "ServerUnreachableError" in err and TEXT not in err


def test_summarize_cli_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert summarize_cmd.main(["/nonexistent/report.txt"]) == 2
    assert "cannot read" in capsys.readouterr().err


class _FailingClient:
    """Stands in for ImpressionsClient: every summarize raises the given error."""

    error: ImpressionsError

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> _FailingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def summarize(self, report: Report) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (InvalidReportError("patient_age must be 0..150", "StatusCode.INVALID_ARGUMENT"), 2),
        (ServerBusyError("Exceeds maximum queue size", "StatusCode.UNAVAILABLE"), 3),
        (ModelNotReadyError("Request for unknown model", "StatusCode.NOT_FOUND"), 3),
        (RequestTimeoutError("Deadline Exceeded", "StatusCode.DEADLINE_EXCEEDED"), 3),
        (ImpressionsError("Stub process is not healthy.", "StatusCode.INTERNAL"), 1),
    ],
)
def test_summarize_cli_exit_codes(
    error: ImpressionsError,
    expected: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = tmp_path / "report.txt"
    report.write_text(TEXT, encoding="utf-8")
    monkeypatch.setattr(_FailingClient, "error", error, raising=False)
    monkeypatch.setattr(summarize_cmd, "ImpressionsClient", _FailingClient)
    assert summarize_cmd.main([str(report)]) == expected
    err = capsys.readouterr().err
    assert error.message in err and TEXT not in err
