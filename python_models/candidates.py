"""Several generated impressions per report, and the safest one of them.

With ``num_candidates`` > 1 the generator returns the n best beams of one beam search, best first,
in ONE row of OUTPUT_IDS: each candidate ends with the eos token (the last may end at the row's
end), so the [batch, tokens] contract of OUTPUT_IDS stays as it is and a row from a single-output
generator is simply one candidate. Postprocess (and `impressions eval`) then keeps the first
candidate with the fewest blocking safety warnings (a contradicted side, a reversed negation, a
missed or invented critical finding, a measurement the findings lack or give another finding),
then the fewest findings the findings section never mentions, then the most findings and
measurements of the findings it states: a small model's second beam often states the side or
the critical finding its first beam got wrong, or the finding its first beam left out. A later
candidate may only replace the first when it keeps every finding and measurement of the first
that the findings support, so a fix can never be bought by silently leaving something out. The
checks choose among what the model wrote; they never write text themselves (the one exception,
an omitted critical finding put back, is `python_models.critical_completion`, after the choice).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from python_models.engines import MAX_BEAMS
from python_models.facts import Facts

Warning_ = dict[str, Any]
MAX_CANDIDATES = MAX_BEAMS  # more pieces in one row is not a generator's output


def join_candidates(candidates: Sequence[Sequence[int]], eos_token_id: int) -> list[int]:
    """The candidates of one report as one id row: each followed by eos except the last."""
    row: list[int] = []
    for index, candidate in enumerate(candidates):
        if index:
            row.append(eos_token_id)
        row.extend(int(t) for t in candidate)
    return row


def split_candidates(
    row: Sequence[int], eos_token_id: int, pad_token_id: int | None
) -> list[list[int]]:
    """Inverse of `join_candidates`; trailing padding (when the tokenizer has a pad token) and
    empty trailing pieces are dropped, so padding is harmless even where pad == eos. A row
    without eos is one candidate."""
    ids = [int(t) for t in row]
    while ids and pad_token_id is not None and ids[-1] == pad_token_id:
        ids.pop()
    pieces: list[list[int]] = [[]]
    for token in ids:
        if token == eos_token_id:
            pieces.append([])
        else:
            pieces[-1].append(token)
    while len(pieces) > 1 and not pieces[-1]:
        pieces.pop()
    return pieces


def check_separator(tokenizer_eos: int | None, generator_eos: int) -> None:
    """Candidates are split on the tokenizer's eos: it must be the id the generator stops at
    (a user's model could disagree; then several candidates would read as one)."""
    if tokenizer_eos != generator_eos:
        raise ValueError(
            f"num_candidates > 1 needs the tokenizer's eos id ({tokenizer_eos}) to equal the "
            f"generator's eos_token_id ({generator_eos}); set num_candidates to 1"
        )


@dataclass(frozen=True)
class Assessment:
    """What the choice needs to know about one candidate."""

    empty: bool
    blocking: int  # blocking warnings (checks and unresolved measurements)
    keeps_first: bool  # states every supported finding and measurement the first one states
    ungrounded: int = 0  # findings stated that the findings section never mentions
    supported: int = 0  # findings and measurements stated that the findings section states


def blocking_count(warnings: Sequence[Warning_]) -> int:
    """Blocking warnings only: warn-level ones (a missing follow-up, an ungrounded term) would
    favour candidates that simply say less."""
    return sum(1 for w in warnings if w.get("severity") == "block")


def ungrounded_count(warnings: Sequence[Warning_]) -> int:
    """Impression findings the findings never mention (UNGROUNDED items): among equally safe
    candidates that keep what the first got right, the one inventing less is preferred."""
    return sum(len(w.get("spans") or [1]) for w in warnings if w.get("code") == "UNGROUNDED")


def keeps_supported(first: Facts, candidate: Facts, findings: Facts) -> bool:
    """Whether ``candidate`` states every finding and measurement of ``first`` that the
    findings also state (what ``first`` got wrong may go; what it got right may not)."""
    supported_heads = set(first.findings) & set(findings.findings)
    if not supported_heads <= set(candidate.findings):
        return False
    supported_mm = Counter(first.measurements) & Counter(findings.measurements)
    return not supported_mm - Counter(candidate.measurements)


def supported_count(candidate: Facts, findings: Facts) -> int:
    """How many of the findings' present findings and measurements ``candidate`` states: among
    equally safe candidates, the one leaving less of the report out is preferred."""
    heads = set(candidate.findings) & set(findings.findings)
    measurements = Counter(candidate.measurements) & Counter(findings.measurements)
    return len(heads) + sum(measurements.values())


def choose_candidate(assessed: Sequence[Assessment]) -> int:
    """Index of the candidate to serve: among the first and the later ones that keep what the
    first got right, a non-empty one with the fewest blocking warnings, then the fewest
    ungrounded findings, then the most supported ones; ties keep the model's order (the
    model's best among the equally safe)."""
    eligible = [i for i, a in enumerate(assessed) if i == 0 or a.keeps_first]
    return min(
        eligible,
        key=lambda i: (
            assessed[i].empty,
            assessed[i].blocking,
            assessed[i].ungrounded,
            -assessed[i].supported,
            i,
        ),
    )
