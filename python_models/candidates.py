"""Several generated impressions per report, and the safest one of them.

With ``num_candidates`` > 1 the generator returns the n best beams of one beam search, best first,
in ONE row of OUTPUT_IDS: each candidate ends with the eos token (the last may end at the row's
end), so the [batch, tokens] contract of OUTPUT_IDS stays as it is and a row from a single-output
generator is simply one candidate. Postprocess (and `impressions eval`) then keeps the first
candidate with the fewest blocking safety warnings (a contradicted side, a reversed negation, a
missed critical finding, a measurement the findings lack): a small model's second beam often
states the side or the critical finding its first beam got wrong. The checks choose among what
the model wrote; they never write text themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Warning_ = dict[str, Any]
T = TypeVar("T")


def join_candidates(candidates: Sequence[Sequence[int]], eos_token_id: int) -> list[int]:
    """The candidates of one report as one id row: each followed by eos except the last."""
    row: list[int] = []
    for index, candidate in enumerate(candidates):
        if index:
            row.append(eos_token_id)
        row.extend(int(t) for t in candidate)
    return row


def split_candidates(row: Sequence[int], eos_token_id: int, pad_token_id: int) -> list[list[int]]:
    """Inverse of `join_candidates`; trailing padding and empty trailing pieces are dropped.

    A row without eos is one candidate (what a single-output generator returns).
    """
    ids = [int(t) for t in row]
    while ids and ids[-1] == pad_token_id and pad_token_id != eos_token_id:
        ids.pop()
    pieces: list[list[int]] = [[]]
    for token in ids:
        if token == eos_token_id:
            pieces.append([])
        else:
            pieces[-1].append(token)
    if len(pieces) > 1 and not pieces[-1]:
        pieces.pop()
    return pieces


def blocking_count(warnings: Sequence[Warning_]) -> int:
    """Blocking warnings only: warn-level ones (a missing follow-up, an ungrounded term) would
    favour candidates that simply say less, which loses findings and their measurements."""
    return sum(1 for w in warnings if w.get("severity") == "block")


def choose_candidate(
    candidates: Sequence[T], warnings_of: Callable[[T], Sequence[Warning_]]
) -> int:
    """Index of the first candidate with the fewest blocking warnings: among equally safe
    candidates the model's own order decides. A single candidate is not checked here."""
    if len(candidates) <= 1:
        return 0
    costs = [blocking_count(warnings_of(candidate)) for candidate in candidates]
    return min(range(len(candidates)), key=lambda i: (costs[i], i))
