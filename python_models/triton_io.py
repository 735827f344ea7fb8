"""Numpy helpers for the thin Triton adapters (no Triton import, so they are unit-testable).

A request carries a client-side batch: strings arrive as BYTES tensors of shape [B, 1] and ids as
[B, L]. These helpers turn them into per-row Python values and back, and reject malformed shapes
with a clear message.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from python_models.request_fields import InvalidRequest


def string_rows(array: np.ndarray | None, name: str, rows: int | None = None) -> list[Any]:
    """The elements of a [B, 1] BYTES tensor as a list; [None]*rows when the input was not sent."""
    if array is None:
        if rows is None:
            raise InvalidRequest(f"{name} is required")
        return [None] * rows
    if array.ndim != 2 or array.shape[1] != 1:
        raise InvalidRequest(f"{name} must have shape [B, 1], got {list(array.shape)}")
    if rows is not None and array.shape[0] != rows:
        raise InvalidRequest(f"{name} has {array.shape[0]} rows but report_text has {rows}")
    return list(array.reshape(-1))


def pad_rows(rows: list[list[int]], pad_id: int, dtype: Any = np.int64) -> np.ndarray:
    """Right-pad id lists into one [B, max_len] array."""
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), max(width, 1)), pad_id, dtype=dtype)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def bytes_tensor(values: list[str | bytes]) -> np.ndarray:
    """A [B, 1] object array of UTF-8 bytes, the layout Triton BYTES outputs expect."""
    encoded = [v.encode("utf-8") if isinstance(v, str) else v for v in values]
    return np.array(encoded, dtype=np.object_).reshape(len(values), 1)


def json_tensor(values: list[Any]) -> np.ndarray:
    """A [B, 1] BYTES tensor holding each value as compact JSON (non-ASCII kept as UTF-8)."""
    return bytes_tensor([json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in values])


def parse_json(raw: Any, name: str) -> Any:
    """One BYTES element holding JSON."""
    if raw is None:
        raise InvalidRequest(f"{name} is required")
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidRequest(f"{name} is not valid JSON") from None


def id_rows(array: np.ndarray | None, name: str) -> list[np.ndarray]:
    """A request's [B, L] id tensor as B one-dimensional int64 rows."""
    if array is None:
        raise InvalidRequest(f"{name} is required")
    if array.ndim != 2:
        raise InvalidRequest(f"{name} must have shape [B, L], got {list(array.shape)}")
    return [row.astype(np.int64, copy=False) for row in array]


def request_error_message(errors: list[tuple[int, str]], rows: int) -> str:
    """One message for a request whose rows failed: 'row 2: report_text is empty; ...'."""
    if rows == 1 and len(errors) == 1:
        return errors[0][1]
    return "; ".join(f"row {i}: {msg}" for i, msg in errors)
