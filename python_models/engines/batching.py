"""Requests -> one padded engine batch -> per-request answers (no Triton import: unit-testable).

Each Triton request carries its own [b, L] ids and mask (ragged batching lets requests of
different L share an `execute` call). Requests are checked one by one, so one bad request is
rejected alone, then every good row goes to the engine in ONE call and is split back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from python_models.request_fields import InvalidRequest


@dataclass(frozen=True)
class RequestRows:
    """The valid rows of one request, each trimmed to its attended length."""

    ids: list[np.ndarray]
    masks: list[np.ndarray]


def check_request(
    input_ids: np.ndarray | None,
    attention_mask: np.ndarray | None,
    vocab_size: int,
    max_input_tokens: int | None = None,
) -> RequestRows:
    """Validate one request's tensors; raises InvalidRequest with a shape-only message.

    ``max_input_tokens`` bounds L: attention memory grows with L squared, so one oversized
    direct request must not be able to exhaust the stub for everyone in its batch.
    """
    if input_ids is None or attention_mask is None:
        raise InvalidRequest("INPUT_IDS and ATTENTION_MASK are required")
    if input_ids.ndim != 2 or input_ids.shape != attention_mask.shape:
        raise InvalidRequest(
            f"INPUT_IDS {list(input_ids.shape)} and ATTENTION_MASK "
            f"{list(attention_mask.shape)} must both be [B, L] with the same shape"
        )
    if input_ids.shape[0] == 0 or input_ids.shape[1] == 0:
        raise InvalidRequest(f"INPUT_IDS is empty: shape {list(input_ids.shape)}")
    if max_input_tokens is not None and input_ids.shape[1] > max_input_tokens:
        raise InvalidRequest(
            f"INPUT_IDS has {input_ids.shape[1]} tokens per row; the limit is {max_input_tokens}"
        )
    if input_ids.min() < 0 or input_ids.max() >= vocab_size:
        raise InvalidRequest(f"INPUT_IDS must lie in [0, {vocab_size})")
    if not np.isin(attention_mask, (0, 1)).all():
        raise InvalidRequest("ATTENTION_MASK must hold only 0 and 1")
    lengths = attention_mask.sum(axis=1)
    if (lengths == 0).any():
        raise InvalidRequest(f"row {int(np.argmin(lengths))} has no attended token")
    ids = [row.astype(np.int64, copy=False) for row in input_ids]
    masks = [row.astype(np.int64, copy=False) for row in attention_mask]
    return RequestRows(ids, masks)


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Token rows as one right-padded int64 [N, max L] ids/mask pair, every token attended
    (how the generator batches preprocess's rows; bench and eval build batches the same way)."""
    width = max(len(row) for row in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def merge(requests: list[RequestRows], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """All rows of all requests as one right-padded [N, max L] ids/mask pair."""
    ids = [row for r in requests for row in r.ids]
    masks = [row for r in requests for row in r.masks]
    width = max(len(row) for row in ids)
    batch_ids = np.full((len(ids), width), pad_id, dtype=np.int64)
    batch_mask = np.zeros((len(ids), width), dtype=np.int64)
    for i, (row, mask) in enumerate(zip(ids, masks, strict=True)):
        batch_ids[i, : len(row)] = row
        batch_mask[i, : len(mask)] = mask
    return batch_ids, batch_mask


def split(
    generated: list[list[int]], requests: list[RequestRows], pad_id: int, dtype=np.int64
) -> list[np.ndarray]:
    """Engine output rows back into one [b, T] pad-filled array per request."""
    out, start = [], 0
    for request in requests:
        rows = generated[start : start + len(request.ids)]
        start += len(request.ids)
        width = max(1, max(len(r) for r in rows))
        array = np.full((len(rows), width), pad_id, dtype=dtype)
        for i, row in enumerate(rows):
            array[i, : len(row)] = row
        out.append(array)
    return out
