"""Generated ids -> styled impression + warnings, one batch at a time.

The whole batch is detokenized in one `batch_decode` call; measurement placeholders (``<nK>``)
are replaced with the values preprocess took out of the findings. When the generator sent several
candidates per report (`python_models.candidates`), the one the safety checks object to least is
kept. The switched-on steps of `python_models.postprocess.steps` then run in order. Styling and
safety checks run last, per item, each guarded: a failure in either degrades that one answer
(default style, or a blocking CHECK_ERROR warning that asks for a manual review) instead of
failing the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from python_models.candidates import (
    Assessment,
    blocking_count,
    choose_candidate,
    keeps_supported,
    split_candidates,
    supported_count,
    ungrounded_count,
)
from python_models.exams import modality_of
from python_models.facts import extract_facts
from python_models.measurement_placeholders import SLOT_KINDS, unmask
from python_models.pipeline_warnings import Warning_, warning
from python_models.postprocess.request import Check, Draft, Finished
from python_models.postprocess.steps import EDITS, STEPS

log = logging.getLogger(__name__)

# (findings, context) -> a check of impressions against those findings: the findings are parsed
# once per report, not once per candidate (`python_models.safety.checker_for_context`).
CheckerFactory = Callable[[str, dict[str, Any]], Check]


class Decoder(Protocol):
    """A transformers tokenizer's decoding side (eos_token_id, when it has one, separates
    candidates)."""

    def batch_decode(self, sequences: Sequence[Sequence[int]], **kwargs: Any) -> list[str]: ...


class Styler(Protocol):
    def apply(
        self, impression: str, radiologist_id: str | None, modality: str | None
    ) -> tuple[str, list[Warning_]]: ...


def _check_error() -> Warning_:
    return warning(
        "CHECK_ERROR", "block", "safety checks could not run on this impression; review manually"
    )


class Postprocessor:
    """Detokenize, apply the radiologist's style, run the safety checks."""

    def __init__(
        self,
        tokenizer: Decoder,
        styler: Styler,
        checker: CheckerFactory,
        complete_critical: bool = True,
        guideline_followup: bool = True,
        ground_items: bool = True,
        merge_bilateral: bool = True,
        pertinent_negatives: bool = True,
        hold_to_findings: bool = True,
        name_diagnoses: bool = True,
    ) -> None:
        self.tokenizer = tokenizer
        self.styler = styler
        self.checker = checker
        self.complete_critical = complete_critical
        self.guideline_followup = guideline_followup
        self.ground_items = ground_items
        self.merge_bilateral = merge_bilateral
        self.pertinent_negatives = pertinent_negatives
        self.hold_to_findings = hold_to_findings
        self.name_diagnoses = name_diagnoses
        # the switched-on steps, in the order of EDITS (the order they run)
        self._steps = [STEPS[name] for name in EDITS if getattr(self, name)]

    def _style(self, text: str, context: dict[str, Any]) -> tuple[str, list[Warning_]]:
        try:
            return self.styler.apply(
                text, context.get("radiologist_id"), modality_of(context.get("exam"))
            )
        except Exception as exc:  # noqa: BLE001 - one item must not fail the batch
            log.error("style failed: %s", type(exc).__name__)
            return text, [
                warning(
                    "STYLE_FALLBACK",
                    "warn",
                    "style could not be applied; default formatting returned",
                )
            ]

    def _checker_for(self, context: dict[str, Any]) -> Check | None:
        """The report's findings parsed once for all its candidates and its styled answer;
        None when that fails (each later check then reports CHECK_ERROR)."""
        try:
            return self.checker(context.get("findings") or "", context)
        except Exception as exc:  # noqa: BLE001 - one item must not fail the batch
            log.error("safety checks failed: %s", type(exc).__name__)
            return None

    def _check(self, impression: str, check: Check | None) -> list[Warning_]:
        if check is None:  # already logged, with its cause, by _checker_for
            return [_check_error()]
        try:
            return list(check(impression))
        except Exception as exc:  # noqa: BLE001
            log.error("safety checks failed: %s", type(exc).__name__)
            return [_check_error()]

    def _unmask(self, text: str, context: dict[str, Any]) -> tuple[str, list[Warning_]]:
        """Decoded text with the dictated measurements and levels written back (and a blocking
        warning for a slot no dictated value matches)."""
        text = " ".join(text.split())
        warnings: list[Warning_] = []
        for kind in SLOT_KINDS:
            values = context.get(kind.context_key)
            if values is None:
                continue
            text, unresolved = unmask(text, values, kind)
            if unresolved:
                warnings.append(
                    warning(
                        kind.unresolved_code,
                        "block",
                        f"{unresolved} {kind.name}(s) in the impression could not be matched "
                        "to the findings and are shown as [?]; review manually",
                    )
                )
        return text, warnings

    def _split(self, ids: Sequence[int]) -> list[Sequence[int]]:
        eos = getattr(self.tokenizer, "eos_token_id", None)
        pad = getattr(self.tokenizer, "pad_token_id", None)
        if eos is None:
            return [ids]
        return split_candidates(ids, eos, pad)

    def _choose(
        self,
        decoded: list[tuple[str, list[Warning_]]],
        context: dict[str, Any],
        check: Check | None,
    ) -> tuple[int, list[Warning_], list[Warning_] | None]:
        """Which candidate to serve (python_models.candidates; the first if the choice fails),
        a CANDIDATE_REPLACED warning when it is not the model's first, and the served
        candidate's check warnings when the choice ran them (None otherwise)."""
        if len(decoded) <= 1:
            return 0, [], None
        try:
            findings = extract_facts(context.get("findings") or "")
            facts = [extract_facts(text) for text, _ in decoded]
            assessed, checked = [], []
            for i, (text, warnings) in enumerate(decoded):
                found = warnings + self._check(text, check) if text else []
                checked.append(found)
                assessed.append(
                    Assessment(
                        empty=not text,
                        blocking=blocking_count(found),
                        keeps_first=i == 0
                        or (bool(text) and keeps_supported(facts[0], facts[i], findings)),
                        ungrounded=ungrounded_count(found),
                        supported=supported_count(facts[i], findings),
                    )
                )
        except Exception as exc:  # noqa: BLE001 - the model's first candidate is still an answer
            log.error("candidate choice failed: %s", type(exc).__name__)
            return 0, [], None
        best = choose_candidate(assessed)
        if best == 0:
            return 0, [], checked[0]
        replaced = [
            warning(
                "CANDIDATE_REPLACED",
                "warn",
                f"the model's first candidate had {assessed[0].blocking} blocking problem(s), "
                f"{assessed[0].ungrounded} finding(s) the findings do not mention and "
                f"{assessed[0].supported} finding(s)/measurement(s) of the findings; candidate "
                f"{best + 1} of {len(decoded)}, with {assessed[best].blocking}, "
                f"{assessed[best].ungrounded} and {assessed[best].supported}, is shown",
            )
        ]
        return best, replaced, checked[best]

    def finish(self, batch: list[tuple[Sequence[int], dict[str, Any]]]) -> list[Finished]:
        pieces = [self._split(ids) for ids, _ in batch]
        texts = iter(
            self.tokenizer.batch_decode(
                [c for candidates in pieces for c in candidates], skip_special_tokens=True
            )
        )
        results: list[Finished] = []
        for candidates, (_, context) in zip(pieces, batch, strict=True):
            decoded = [self._unmask(next(texts), context) for _ in candidates]
            check = self._checker_for(context)
            best, choice_warnings, found = self._choose(decoded, context, check)
            text, unmask_warnings = decoded[best]
            draft = Draft(context, check, found)
            for edit in self._steps:
                if not text:
                    break
                text, edit_warnings = edit(text, draft)
                choice_warnings = choice_warnings + edit_warnings
            warnings = list(context.get("warnings") or []) + unmask_warnings + choice_warnings
            if not text:
                warnings.append(
                    warning(
                        "EMPTY_IMPRESSION",
                        "block",
                        "the model produced no impression; dictate manually",
                    )
                )
                results.append(Finished("", warnings, best))
                continue
            styled, style_warnings = self._style(text, context)
            warnings += style_warnings
            warnings += self._check(styled, check)
            results.append(Finished(styled, warnings, best))
        return results
