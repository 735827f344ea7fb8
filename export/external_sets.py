"""External evaluation sets: load a JSONL file, tell its kind, split it into read/unread halves.

The sets live outside the repository (`../shared/data/`) and hold real or realistic report
text, so errors raised here name a line number and a field, never the text itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["iu", "cases", "check"]
HALVES = ("read", "unread", "all")


class DatasetError(ValueError):
    """A dataset file that cannot be scored (message names the line and field, not the text)."""


@dataclass(frozen=True)
class Dataset:
    """One JSONL file's records and how they are scored."""

    name: str
    kind: Kind
    records: list[dict[str, Any]]

    @property
    def summarization(self) -> bool:
        return self.kind != "check"


def half_of(case_id: str) -> str:
    """ "read" or "unread": a fixed split by id, so the half whose errors a developer reads never
    changes between runs or machines (hash of the id, not its position in the file)."""
    return "read" if int(hashlib.sha256(case_id.encode()).hexdigest(), 16) % 2 == 0 else "unread"


def select_half(records: list[dict[str, Any]], half: str) -> list[dict[str, Any]]:
    """The records of one half ("all": every record), in file order."""
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}, got {half!r}")
    if half == "all":
        return list(records)
    return [r for r in records if half_of(str(r["id"])) == half]


def kind_of(records: list[dict[str, Any]]) -> Kind:
    """report_check cases carry `expect`; hand-written summarization cases carry `must`; the
    rest are scored like the IU chest radiographs (reference impression only)."""
    if any("expect" in r for r in records):
        return "check"
    if any("must" in r for r in records):
        return "cases"
    return "iu"


def report_text(case: Mapping[str, Any]) -> str:
    """The report sent to the service, built as `../shared/eval/run_cases.py` builds it: a
    ready `report_text`, else EXAM/INDICATION/COMPARISON headers and "FINDINGS:\\n"."""
    if case.get("report_text"):
        return str(case["report_text"])
    parts = []
    for header, key in (
        ("EXAM", "exam"),
        ("INDICATION", "indication"),
        ("COMPARISON", "comparison"),
    ):
        if case.get(key):
            parts.append(f"{header}: {case[key]}")
    parts.append(f"FINDINGS:\n{case['findings']}")
    return "\n".join(parts)


def findings_of(case: Mapping[str, Any]) -> str:
    """The findings the metrics read: the record's own, else the FINDINGS section of its report
    (the scorers need findings; a set with `report_text` only still gets them)."""
    if case.get("findings"):
        return str(case["findings"])
    from python_models.sections import parse_sections

    return parse_sections(str(case.get("report_text") or "")).findings


def _check_record(record: Any, line: int, kind: Kind) -> None:
    if not isinstance(record, dict) or not record.get("id"):
        raise DatasetError(f"line {line}: a record needs an `id`")
    if kind == "check":
        needed = [("report_text",), ("expect",)]
    else:
        needed = [("findings", "report_text"), ("impression",)]
        if kind == "cases":
            needed.append(("must",))
    for alternatives in needed:
        if not any(key in record and record[key] is not None for key in alternatives):
            raise DatasetError(
                f"line {line} (id {record['id']}): missing `{'` or `'.join(alternatives)}`"
            )
    if kind == "cases" and not isinstance(record["must"], list):
        raise DatasetError(f"line {line} (id {record['id']}): `must` must be a list")


def load_dataset(path: Path) -> Dataset:
    """Read and validate one JSONL set; ids must be unique (results are matched by id)."""
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path.name} line {number}: not JSON ({exc.msg})") from None
            lines.append(number)
    if not records:
        raise DatasetError(f"{path.name}: no records")
    kind = kind_of(records)
    seen: set[str] = set()
    for record, number in zip(records, lines, strict=True):
        _check_record(record, number, kind)
        record["id"] = str(record["id"])
        if record["id"] in seen:
            raise DatasetError(f"{path.name} line {number}: duplicate id {record['id']}")
        seen.add(record["id"])
    return Dataset(path.name, kind, records)
