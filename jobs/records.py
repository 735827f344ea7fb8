"""Records of a payload, parsed and validated incrementally from byte chunks.

The same scanner runs in the API while the body streams to disk (so counts and bad records are
known at submit) and in the worker reading the stored payload, so both agree on what record N
is. A bad record becomes a `Parsed` with an error naming the line and the field, never the
text: it is written to the results, it never fails the job.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

OPTIONAL_FIELDS = ("radiologist_id", "exam", "patient_sex", "patient_age")
FORMATS = {"application/x-ndjson": "jsonl", "application/jsonl": "jsonl", "text/csv": "csv"}
MAX_LINE_BYTES = 1 << 20  # a longer record is refused, not buffered without end


@dataclass(frozen=True)
class Parsed:
    """Record number `seq` (0-based, blank lines not counted) of a payload."""

    seq: int
    line: int  # 1-based physical line where the record starts
    id: str | None
    fields: dict[str, str] | None
    error: str | None = None

    def __repr__(self) -> str:  # fields hold report text (PHI)
        return f"Parsed(seq={self.seq}, id={self.id!r}, error={self.error!r})"


def format_of(content_type: str | None) -> str | None:
    """'jsonl' or 'csv' for a request's Content-Type (parameters ignored), else None."""
    if not content_type:
        return None
    return FORMATS.get(content_type.split(";", 1)[0].strip().lower())


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return str(value)


def validate(seq: int, line: int, obj: Any) -> Parsed:
    """Check one decoded record: an id, a non-empty report_text, optional string inputs."""
    if not isinstance(obj, dict):
        return Parsed(seq, line, None, None, f"line {line}: a record must be a JSON object")
    raw_id = obj.get("id")
    record_id = None
    if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) and str(raw_id).strip():
        record_id = str(raw_id)
    if record_id is None:
        return Parsed(seq, line, None, None, f"line {line}: missing or empty id")
    report = obj.get("report_text")
    if not isinstance(report, str) or not report.strip():
        return Parsed(seq, line, record_id, None, f"line {line}: report_text missing or empty")
    fields = {"report_text": report}
    for name in OPTIONAL_FIELDS:
        try:
            value = _text(obj.get(name))
        except TypeError:
            return Parsed(seq, line, record_id, None, f"line {line}: {name} must be a string")
        if value:
            fields[name] = value
    return Parsed(seq, line, record_id, fields)


class Scanner:
    """Push bytes in, get records out; `close()` flushes a last line without newline."""

    def __init__(self, fmt: str) -> None:
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"unknown payload format {fmt!r}")
        self.fmt = fmt
        self._buffer = b""
        self._line = 0  # physical lines consumed
        self._seq = 0
        self._header: list[str] | None = None
        self._pending: list[str] = []  # CSV lines of a record whose quotes are still open
        self._pending_line = 0
        self._oversized = False
        self.total = 0
        self.invalid = 0

    def feed(self, chunk: bytes) -> Iterator[Parsed]:
        data = self._buffer + chunk if self._buffer else chunk
        start = 0
        while (cut := data.find(b"\n", start)) >= 0:
            yield from self._physical(data[start:cut])
            start = cut + 1
        self._buffer = data[start:]
        if len(self._buffer) > MAX_LINE_BYTES:
            # drop an oversized line as it comes; it becomes one bad record at its end
            self._buffer = b""
            self._oversized = True

    def close(self) -> Iterator[Parsed]:
        if self._buffer:
            raw, self._buffer = self._buffer, b""
            yield from self._physical(raw)
        if self._pending:
            self._pending = []
            yield self._emit(
                Parsed(
                    self._seq,
                    self._pending_line,
                    None,
                    None,
                    f"line {self._pending_line}: unterminated quoted CSV field",
                )
            )

    def _emit(self, parsed: Parsed) -> Parsed:
        self._seq += 1
        self.total += 1
        self.invalid += parsed.error is not None
        return parsed

    def _physical(self, raw: bytes) -> Iterator[Parsed]:
        self._line += 1
        if self._oversized:
            self._oversized = False
            yield self._emit(
                Parsed(self._seq, self._line, None, None, f"line {self._line}: record over 1 MiB")
            )
            return
        try:
            text = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            yield self._emit(
                Parsed(self._seq, self._line, None, None, f"line {self._line}: not valid UTF-8")
            )
            return
        if self.fmt == "jsonl":
            if not text.strip():
                return
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield self._emit(
                    Parsed(
                        self._seq,
                        self._line,
                        None,
                        None,
                        f"line {self._line}: not valid JSON ({exc.msg})",
                    )
                )
                return
            yield self._emit(validate(self._seq, self._line, obj))
            return
        yield from self._csv_line(text)

    def _csv_line(self, text: str) -> Iterator[Parsed]:
        if not self._pending:
            if not text.strip():
                return
            self._pending_line = self._line
        self._pending.append(text)
        joined = "\n".join(self._pending)
        if joined.count('"') % 2:  # inside a quoted field: the record goes on next line
            return
        self._pending = []
        row = next(csv.reader([joined]), [])
        if self._header is None:
            self._header = [h.strip().lstrip("\ufeff") for h in row]
            if "id" not in self._header or "report_text" not in self._header:
                self._header = []  # every row will say so
            return
        line = self._pending_line
        if not self._header:
            yield self._emit(
                Parsed(self._seq, line, None, None, "CSV header lacks id or report_text")
            )
            return
        if len(row) != len(self._header):
            yield self._emit(
                Parsed(
                    self._seq,
                    line,
                    None,
                    None,
                    f"line {line}: {len(row)} fields, header has {len(self._header)}",
                )
            )
            return
        obj = {k: (v if v != "" else None) for k, v in zip(self._header, row, strict=True)}
        yield self._emit(validate(self._seq, line, obj))


def scan(chunks: Iterable[bytes], fmt: str) -> Iterator[Parsed]:
    """Every record of a payload given as byte chunks."""
    scanner = Scanner(fmt)
    for chunk in chunks:
        yield from scanner.feed(chunk)
    yield from scanner.close()
