"""The job service's pieces that need no server: record scanning, the store, webhooks."""

from __future__ import annotations

import json
import time

import pytest

from jobs.config import is_loopback
from jobs.records import Scanner, scan
from jobs.store import LocalStore, StoreError
from jobs.webhooks import WebhookRefused, body_for, check_url, sign, verify


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_jsonl_records_survive_any_chunking_and_bad_lines_are_kept() -> None:
    lines = [
        json.dumps({"id": "a", "report_text": "FINDINGS: a. É ok", "exam": "CT chest"}),
        "",
        "{not json",
        json.dumps({"id": 7, "report_text": "FINDINGS: b", "patient_age": 64}),
        json.dumps({"report_text": "no id"}),
        json.dumps({"id": "c", "report_text": "   "}),
        json.dumps({"id": "d", "report_text": "x", "exam": ["list"]}),
        json.dumps({"id": "e", "report_text": "last, no newline"}),
    ]
    data = "\n".join(lines).encode()
    for size in (1, 3, 17, len(data)):
        records = list(scan(_chunks(data, size), "jsonl"))
        assert [r.seq for r in records] == list(range(7))
        assert [r.id for r in records] == ["a", None, "7", None, "c", "d", "e"]
        assert [r.error is None for r in records] == [True, False, True, False, False, False, True]
        assert records[0].fields == {"report_text": "FINDINGS: a. É ok", "exam": "CT chest"}
        assert records[2].fields == {"report_text": "FINDINGS: b", "patient_age": "64"}
        assert records[1].line == 3 and "not valid JSON" in (records[1].error or "")


def test_error_messages_never_quote_report_text() -> None:
    secret = "Patient John Q Sentinel MRN 99887766"
    bad = [
        '{"id": "x", "report_text": "' + secret + '"',  # truncated JSON
        json.dumps({"id": "y", "report_text": secret, "exam": {"a": secret}}),
        json.dumps([secret]),
    ]
    for parsed in scan(["\n".join(bad).encode()], "jsonl"):
        assert parsed.error and secret not in parsed.error
        assert secret not in repr(parsed)


def test_csv_records_with_quoted_newlines_and_header_problems() -> None:
    data = (
        b'id,report_text,exam\n1,"FINDINGS: two\nlines, with comma",CT chest\n'
        b"2,plain,\n3,too,many,x\n"
    )
    for size in (1, 5, len(data)):
        records = list(scan(_chunks(data, size), "csv"))
        assert [r.id for r in records] == ["1", "2", None]
        assert records[0].fields == {
            "report_text": "FINDINGS: two\nlines, with comma",
            "exam": "CT chest",
        }
        assert records[1].fields == {"report_text": "plain"}
        assert "fields" in (records[2].error or "")
    headless = list(scan([b"name,text\na,b\n"], "csv"))
    assert headless[0].error == "CSV header lacks id or report_text"


def test_oversized_line_is_one_bad_record_not_unbounded_memory() -> None:
    scanner = Scanner("jsonl")
    out = []
    for _ in range(3):
        out += list(scanner.feed(b"x" * (1 << 20)))
    assert len(scanner._buffer) <= 1 << 20
    out += list(scanner.feed(b"\n" + json.dumps({"id": "ok", "report_text": "t"}).encode()))
    out += list(scanner.close())
    assert [r.error is not None for r in out] == [True, False]
    assert scanner.total == 2 and scanner.invalid == 1


def test_store_uris_cannot_leave_the_store(tmp_path) -> None:
    store = LocalStore(tmp_path / "store")
    for uri in (
        "store://payloads/../x",
        "/etc/passwd",
        "file:///etc/passwd",
        "store://other/x",
        "store://payloads/a/b",
        "store://payloads/",
    ):
        with pytest.raises(StoreError):
            store.path(uri)
    uri = store.new_payload_uri("jsonl")
    temp, handle = store.open_temp()
    with handle:
        handle.write(b"abc")
    store.publish(temp, uri)
    assert b"".join(store.read_chunks(uri)) == b"abc"
    assert store.path(uri).stat().st_mode & 0o777 == 0o600


def test_webhook_signature_and_allow_list() -> None:
    body = b'{"job_id":"j"}'
    now = f"{time.time():.3f}"
    headers = {"X-Impressions-Signature": sign("s3", now, body), "X-Impressions-Timestamp": now}
    assert verify("s3", headers, body)
    assert not verify("other", headers, body)
    assert not verify("s3", headers, body + b" ")
    stale = f"{time.time() - 3600:.3f}"
    old = {"X-Impressions-Signature": sign("s3", stale, body), "X-Impressions-Timestamp": stale}
    assert not verify("s3", old, body)
    check_url("http://127.0.0.1:9/hook", ("127.0.0.1",), "s3")
    for url, hosts, secret in (
        ("http://evil.example/hook", ("127.0.0.1",), "s3"),
        ("ftp://127.0.0.1/hook", ("127.0.0.1",), "s3"),
        ("http://u:p@127.0.0.1/hook", ("127.0.0.1",), "s3"),
        ("http://127.0.0.1/hook", ("127.0.0.1",), None),
    ):
        with pytest.raises(WebhookRefused):
            check_url(url, hosts, secret)


def test_webhook_body_has_ids_and_counts_only() -> None:
    body = json.loads(
        body_for({"job_id": "j", "status": "succeeded", "counts": {"total": 1}, "other": "x"})
    )
    assert body["event"] == "job.succeeded" and body["job_id"] == "j"
    assert "other" not in body


def test_loopback_only_without_key() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5")
