"""Files of the bulk runner: read the input (JSONL or CSV), resume from and append to the output.

Kept apart from the asyncio runner so the rules that protect a long run can be unit-tested
without a server: every problem in the input is found before the first request, and the output
is appended one whole line per write so a killed run loses at most its in-flight records.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clients.client import OPTIONAL_INPUTS, Report

MAX_LISTED_PROBLEMS = 10
OUTPUT_MODE = 0o600  # the output holds impressions (PHI): owner read/write only
LINE_START = b'{"id":'  # how every line OutputWriter writes starts


class InputFileError(ValueError):
    """The input or output file cannot be used; the message names lines, never report text."""


@dataclass(frozen=True)
class Record:
    id: str
    report: Report

    def __repr__(self) -> str:
        return f"Record(id={self.id!r})"


def input_format(path: Path, forced: str | None = None) -> str:
    if forced:
        return forced
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    raise InputFileError(f"{path.name}: unknown input format {suffix!r}; use --format jsonl|csv")


def _jsonl_rows(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield f"line {number}", json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(
                    f"{path.name} line {number}: not valid JSON ({exc.msg})"
                ) from None


def _csv_rows(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return
        for number, row in enumerate(reader, start=1):
            yield f"row {number}", row


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def read_records(path: Path | str, fmt: str | None = None) -> list[Record]:
    """All records of the input, or InputFileError listing every missing or duplicate id."""
    path = Path(path)
    rows = _csv_rows(path) if input_format(path, fmt) == "csv" else _jsonl_rows(path)
    records: list[Record] = []
    problems: list[str] = []
    first_seen: dict[str, str] = {}
    for where, row in rows:
        if not isinstance(row, dict):
            problems.append(f"{where}: not an object")
            continue
        record_id = _text(row.get("id"))
        if record_id is None or not record_id.strip():
            problems.append(f"{where}: missing id")
            continue
        if record_id in first_seen:
            problems.append(f"{where}: duplicate id (first at {first_seen[record_id]})")
            continue
        first_seen[record_id] = where
        text = row.get("report_text")
        if not isinstance(text, str):
            problems.append(f"{where}: report_text missing or not a string")
            continue
        context = {name: _text(row.get(name)) for name in OPTIONAL_INPUTS}
        records.append(Record(record_id, Report(text, **context)))
    if problems:
        shown = "\n  ".join(problems[:MAX_LISTED_PROBLEMS])
        more = len(problems) - MAX_LISTED_PROBLEMS
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise InputFileError(f"{path.name}: {len(problems)} bad records:\n  {shown}{tail}")
    return records


@dataclass
class ResumeState:
    """What an existing output file already holds."""

    done_ids: set[str]
    failed_ids: set[str]
    torn_bytes: int = 0


def resume_output(path: Path | str, *, retry_failed: bool = False) -> ResumeState:
    """Read the ids already written; cut a torn last line; with retry_failed, drop error lines.

    Only the last line can be torn (every line is written whole, ending in a newline), so any
    other line that does not parse, or a torn tail that does not start like one of our lines,
    means the file is not ours: refuse it, and change nothing, before any byte is cut.
    """
    path = Path(path)
    if not path.exists():
        return ResumeState(set(), set())
    data = path.read_bytes()
    cut = data.rfind(b"\n") + 1
    torn = len(data) - cut
    tail = data[cut:]
    if tail and not (tail.startswith(LINE_START) or LINE_START.startswith(tail)):
        raise InputFileError(
            f"{path.name}: the last line is not a bulk output line; refusing to append to it"
        )
    done: set[str] = set()
    failed: set[str] = set()
    kept: list[bytes] = []
    for number, line in enumerate(data[:cut].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            record_id = str(row["id"])
        except (ValueError, KeyError, TypeError):
            raise InputFileError(
                f"{path.name} line {number} is not a bulk output line; refusing to append to it"
            ) from None
        if row.get("error"):
            failed.add(record_id)
            if retry_failed:
                continue
        else:
            done.add(record_id)
        kept.append(line)
    if torn:  # only now that every whole line proved the file is ours
        with path.open("r+b") as handle:
            handle.truncate(cut)
    if retry_failed and failed:
        _replace_private(path, b"".join(line + b"\n" for line in kept))
        return ResumeState(done, set(), torn)
    return ResumeState(done, failed, torn)


def _replace_private(path: Path, data: bytes) -> None:
    """Atomically replace path with data in a new owner-only file (the output holds PHI)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OUTPUT_MODE)
    try:
        os.fchmod(fd, OUTPUT_MODE)  # a stale .tmp keeps its old mode through O_CREAT
        _write_all(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # a regular file takes it all at once; loop only for the odd short write
        written = os.write(fd, view)
        view = view[written:]


class OutputWriter:
    """Appends one JSON object per line with a single write(2) on an O_APPEND descriptor.

    A new file is created owner-only (0o600): it holds impressions, which are PHI. An existing
    file keeps the mode it has.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, OUTPUT_MODE)

    def write(self, row: dict[str, Any]) -> None:
        row = {"id": row["id"], **row}  # id first: resume_output recognises torn lines by it
        data = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        _write_all(self._fd, data)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
