"""The client library and `impressions summarize` against the real server."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from clients import summarize_cmd
from clients.client import ImpressionsClient, InvalidReportError, Report
from clients.client_grpc_aio import AsyncImpressionsClient

pytestmark = pytest.mark.integration

REPORT = (
    "EXAM: CT chest without contrast\nCOMPARISON: None.\nFINDINGS:\n"
    "There is a 7 mm solid nodule in the right upper lobe. No pneumothorax.\nIMPRESSION:\n"
)


def url_of(server: Any, protocol: str) -> str:
    return server.http_url if protocol == "http" else server.grpc_url


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_sync_client(protocol: str, triton_server: Any) -> None:
    with ImpressionsClient(url_of(triton_server, protocol), protocol=protocol) as client:
        assert client.is_ready()
        answer = client.summarize(
            Report(
                REPORT, radiologist_id="dr_a", exam="CT chest", patient_sex="F", patient_age="61"
            )
        )
        assert answer.impression.strip()
        assert all({"code", "severity", "message"} <= set(w) for w in answer.warnings)
        batch = client.summarize_batch([Report(REPORT), Report("Small left pleural effusion.")])
        assert len(batch) == 2 and batch[0].impression == client.summarize(REPORT).impression
        with pytest.raises(InvalidReportError, match="patient_age must be") as info:
            client.summarize(Report(REPORT, patient_age="two hundred"))
        assert not info.value.retryable and "two hundred" not in str(info.value)
        assert client.summarize(REPORT).impression  # still healthy


def test_async_client(triton_server: Any) -> None:
    async def run() -> tuple[list[str], BaseException]:
        async with AsyncImpressionsClient(triton_server.grpc_url) as client:
            assert await client.is_ready()
            answers = await asyncio.gather(*(client.summarize(REPORT) for _ in range(6)))
            try:
                await client.summarize("")
            except InvalidReportError as exc:
                return [a.impression for a in answers], exc
            raise AssertionError("empty report was accepted")

    impressions, error = asyncio.run(run())
    assert len(set(impressions)) == 1 and impressions[0].strip()  # deterministic decoding
    assert "report_text is empty" in str(error)


def test_summarize_cli_json(triton_server: Any, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    argv = [str(path), "--url", triton_server.grpc_url, "--json", "--sex", "F", "--age", "61"]
    assert summarize_cmd.main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["impression"].strip() and isinstance(payload["warnings"], list)


def test_summarize_cli_stdin_and_rejection(
    triton_server: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(REPORT))
    assert summarize_cmd.main(["--url", triton_server.http_url, "--protocol", "http"]) == 0
    assert capsys.readouterr().out.strip()
    monkeypatch.setattr("sys.stdin", io.StringIO("   "))
    assert summarize_cmd.main(["-", "--url", triton_server.grpc_url]) == 2
    assert "report rejected: in ensemble 'impression', report_text is empty" in (
        capsys.readouterr().err
    )
