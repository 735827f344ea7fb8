"""Generated ids -> styled impression + warnings, one batch at a time.

The whole batch is detokenized in one `batch_decode` call; measurement placeholders (``<nK>``)
are replaced with the values preprocess took out of the findings. When the generator sent several
candidates per report (`python_models.candidates`), the one the safety checks object to least is
kept. A critical finding the kept candidate leaves out is then added from the findings, with a
blocking CRIT_ADDED warning (`python_models.critical_completion`); every sentence is held to the
findings (`python_models.item_grounding`); one finding stated left and right becomes one
bilateral item (`python_models.bilateral_merge`); the exam's clinical question gets its negative
answer when the findings give it and the draft is silent (`python_models.pertinent_negatives`);
the findings gate holds every statement to one reading of the report and represents every
non-incidental findings sentence (`python_models.findings_gate`, `python_models.reading`); and
Fleischner recommendations are set from the guideline table for the sizes written back
(`python_models.guideline_followup`; the model never sees a size). Each is a config switch and
a step of one signature, ``(text, Draft) -> (text, warnings)``, run in the order of `EDITS`.
Styling and safety checks then run per item, each guarded: a failure in either degrades that one
answer (default style, or a blocking CHECK_ERROR warning that asks for a manual review)
instead of failing the batch.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from python_models import (
    bilateral_merge,
    critical_completion,
    diagnosis_naming,
    findings_gate,
    guideline_followup,
    item_grounding,
    pertinent_negatives,
)
from python_models.candidates import (
    MAX_CANDIDATES,
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
from python_models.measurement_placeholders import unmask
from python_models.pipeline_warnings import Warning_, warning
from python_models.reading.doc import ReportDoc, read_report
from python_models.request_fields import InvalidRequest
from python_models.safety.checks import outside_exam

log = logging.getLogger(__name__)

# Each edit postprocess may make after the candidate choice, in the order it makes them:
# Postprocessor switch -> (its postprocess config.pbtxt parameter, its name in reports).
EDITS: dict[str, tuple[str, str]] = {
    "complete_critical": ("complete_critical_findings", "critical completion"),
    "ground_items": ("ground_items", "item grounding"),
    "merge_bilateral": ("merge_bilateral", "bilateral merge"),
    "pertinent_negatives": ("pertinent_negatives", "pertinent negatives"),
    "hold_to_findings": ("hold_to_findings", "held to the findings"),
    "name_diagnoses": ("name_diagnoses", "diagnosis naming"),
    "guideline_followup": ("guideline_followup", "guideline follow-up"),
}
Edited = tuple[str, list[Warning_]]

Check = Callable[[str], list[Warning_]]
# (findings, context) -> a check of impressions against those findings: the findings are parsed
# once per report, not once per candidate (`python_models.safety.checker_for_context`).
CheckerFactory = Callable[[str, dict[str, Any]], Check]


def _guarded(name: str) -> Callable[[Callable[..., Edited]], Callable[..., Edited]]:
    """An edit that raises leaves the text as it was, without a warning: the model's text is
    still an answer, and one report must not fail its batch. Logged by exception type only."""

    def wrap(edit: Callable[..., Edited]) -> Callable[..., Edited]:
        @functools.wraps(edit)
        def run(self: Any, text: str, *args: Any) -> Edited:
            try:
                return edit(self, text, *args)
            except Exception as exc:  # noqa: BLE001 - see the docstring
                log.error("%s failed: %s", name, type(exc).__name__)
                return text, []

        return run

    return wrap


class Decoder(Protocol):
    """A transformers tokenizer's decoding side (eos_token_id, when it has one, separates
    candidates)."""

    def batch_decode(self, sequences: Sequence[Sequence[int]], **kwargs: Any) -> list[str]: ...


class Styler(Protocol):
    def apply(
        self, impression: str, radiologist_id: str | None, modality: str | None
    ) -> tuple[str, list[Warning_]]: ...


@dataclass(frozen=True)
class Finished:
    impression: str
    warnings: list[Warning_]
    candidate: int = 0  # which of the generator's candidates was kept (0 = the model's best)


@dataclass(frozen=True)
class Draft:
    """What every edit may read besides the text: the request's context, the check of the
    report's findings (None when it could not be built; the edits that need it then step
    aside) and the served candidate's check warnings when the candidate choice ran them."""

    context: dict[str, Any]
    check: Check | None
    found: list[Warning_] | None = None

    @functools.cached_property
    def doc(self) -> ReportDoc:
        """The one reading of the report (`python_models.reading`), built when a step first
        asks for it and shared by every step after it that reads the findings (critical
        completion, item grounding, pertinent negatives, the findings gate, diagnosis naming)."""
        return read_report(self.context.get("findings") or "", self.context.get("exam"))


_CONTEXT_TEXT_KEYS = (
    "radiologist_id",
    "exam",
    "patient_sex",
    "findings",
    "comparison",
)


def validate_context(context: Any) -> dict[str, Any]:
    """Check the JSON context preprocess produced (or a direct caller sent) before using it.

    Messages name keys and types only: the values are patient text.
    """
    if not isinstance(context, dict):
        raise InvalidRequest("CONTEXT must be a JSON object")
    for key in _CONTEXT_TEXT_KEYS:
        if context.get(key) is not None and not isinstance(context[key], str):
            raise InvalidRequest(f"CONTEXT.{key} must be a string or null")
    age = context.get("patient_age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool)):
        raise InvalidRequest("CONTEXT.patient_age must be an integer or null")
    values = context.get("measurement_values")
    if values is not None and (
        not isinstance(values, list) or not all(isinstance(v, str) for v in values)
    ):
        raise InvalidRequest("CONTEXT.measurement_values must be a list of strings")
    warnings = context.get("warnings", [])
    if not isinstance(warnings, list) or not all(
        isinstance(w, dict)
        and isinstance(w.get("code"), str)
        and isinstance(w.get("severity"), str)
        for w in warnings
    ):
        raise InvalidRequest("CONTEXT.warnings must be a list of {code, severity, message}")
    return context


def validate_ids(
    ids: Sequence[int],
    vocab_size: int,
    eos_token_id: int | None = None,
    pad_token_id: int | None = None,
) -> list[int]:
    """Generated ids must index the tokenizer's vocabulary and hold at most MAX_CANDIDATES
    eos-separated candidates (a direct caller may send anything; each candidate costs a decode
    and a run of the checks)."""
    values = [int(i) for i in ids]
    if values and (min(values) < 0 or max(values) >= vocab_size):
        raise InvalidRequest(f"OUTPUT_IDS must lie in [0, {vocab_size})")
    if eos_token_id is not None:
        count = len(split_candidates(values, eos_token_id, pad_token_id))
        if count > MAX_CANDIDATES:
            raise InvalidRequest(
                f"an OUTPUT_IDS row holds {count} eos-separated candidates; "
                f"at most {MAX_CANDIDATES}"
            )
    return values


# The findings gate's warnings: a count, then these words (never report text).
_REMOVED = (
    "impression statement(s) affirming or denying what the findings do not state were "
    "removed; review"
)
_ADDED = "findings sentence(s) stating a finding the impression left out were added as dictated"
_REGION_FIXED = (
    "normal statement(s) naming a body region the exam does not cover were replaced by the "
    "exam's own"
)
_NORMAL_STATED = (
    "the exam's normal phrase leads: the findings state nothing beyond incidental findings"
)
_CONTEXT_KEPT = (
    "item(s) now say the organ header or exam side they stand under, or spell out a side "
    'written as one letter ("L UVJ")'
)
_LEFT_OUT = "incidental finding(s) of a study with other findings are not in the impression"


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
        steps = {
            "complete_critical": self._complete,
            "ground_items": self._ground,
            "merge_bilateral": self._merge,
            "pertinent_negatives": self._answer,
            "hold_to_findings": self._hold,
            "name_diagnoses": self._name,
            "guideline_followup": self._set_followup,
        }
        # the switched-on edits, in the order of EDITS (the order they run)
        self._steps = [steps[name] for name in EDITS if getattr(self, name)]

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
        """Decoded text with the dictated measurements written back (and a blocking warning
        for a placeholder no measurement matches)."""
        text = " ".join(text.split())
        values = context.get("measurement_values")
        if values is None:
            return text, []
        text, unresolved = unmask(text, values)
        if not unresolved:
            return text, []
        return text, [
            warning(
                "MEASUREMENT_UNRESOLVED",
                "block",
                f"{unresolved} measurement(s) in the impression could not be matched "
                "to the findings and are shown as [?]; review manually",
            )
        ]

    @_guarded("critical completion")
    def _complete(self, text: str, draft: Draft) -> Edited:
        """``text`` with the critical findings it leaves out added from the findings, and a
        blocking CRIT_ADDED warning (nothing added: ``text`` as it is, no warning)."""
        if draft.check is None:
            return text, []
        missing = [
            span
            for w in (draft.check(text) if draft.found is None else draft.found)
            if w.get("code") == "CRIT_MISS"
            for span in w.get("spans") or []
        ]
        if not missing:
            return text, []
        done = critical_completion.complete(text, draft.doc, missing)
        if not done.added:
            return text, []
        added = warning(
            "CRIT_ADDED",
            "block",
            f"{done.added} findings sentence(s) stating a critical finding the model left out "
            "were added to the impression as dictated; review",
        )
        return done.impression, [{**added, "spans": done.spans}]

    @_guarded("item grounding")
    def _ground(self, text: str, draft: Draft) -> Edited:
        """``text`` held to the findings sentence by sentence (`python_models.item_grounding`),
        with a blocking GROUNDING_EDIT warning when a sentence was removed, replaced or added."""
        if draft.check is None:
            return text, []
        exam = draft.context.get("exam")
        done = item_grounding.ground(
            text, draft.doc, draft.check, lambda item: outside_exam(item, exam)
        )
        if not done.changed:
            return text, []
        edit = warning(
            "GROUNDING_EDIT",
            "block",
            f"{done.removed} impression item(s) naming findings the findings do not state were "
            f"removed, {done.replaced} with a wrong side or measurement replaced by the findings "
            f"sentence and {done.added} omitted finding(s) added from the findings, as "
            "dictated; review",
        )
        return done.impression, [{**edit, "spans": done.spans}]

    @_guarded("bilateral merge")
    def _merge(self, text: str, draft: Draft) -> Edited:
        """One finding stated left and right as one bilateral item
        (`python_models.bilateral_merge`), with a warn-level SIDES_MERGED when one was."""
        done = bilateral_merge.merge_bilateral(text)
        if not done.merged:
            return text, []
        return done.impression, [
            warning(
                "SIDES_MERGED",
                "warn",
                f"{done.merged} pair(s) of items stating one finding on the left and on the "
                "right were merged into one bilateral item",
            )
        ]

    @_guarded("pertinent negatives")
    def _answer(self, text: str, draft: Draft) -> Edited:
        """The exam's clinical question answered when the findings deny the finding and the
        draft is silent (`python_models.pertinent_negatives`), with a warn-level
        NEGATIVE_ADDED pointing at the findings sentences."""
        done = pertinent_negatives.answer_question(text, draft.doc)
        if not done.added:
            return text, []
        added = warning(
            "NEGATIVE_ADDED",
            "warn",
            f"{done.added} negative answer(s) to the exam's clinical question, stated in the "
            "findings, were added to the impression",
        )
        return done.impression, [{**added, "spans": done.spans}]

    @_guarded("held to the findings")
    def _hold(self, text: str, draft: Draft) -> Edited:
        """Every statement held to the findings and every finding represented
        (`python_models.findings_gate`): removals block (the model wrote something the findings
        do not say); additions as dictated, region fixes and what was left out on purpose warn.
        It reads `Draft.doc`, the one reading of the report the steps share."""
        done = findings_gate.hold_to_findings(text, draft.doc)
        notes = (
            (done.removed, "UNSUPPORTED_REMOVED", "block", _REMOVED, None),
            (done.added, "FINDING_ADDED", "warn", _ADDED, done.added_spans),
            (done.region_fixed, "REGION_FIXED", "warn", _REGION_FIXED, None),
            (done.normal_stated, "NORMAL_STATED", "warn", _NORMAL_STATED, None),
            (done.context_kept + done.sides_spelled, "CONTEXT_KEPT", "warn", _CONTEXT_KEPT, None),
            (len(done.left_out_spans), "LEFT_OUT", "warn", _LEFT_OUT, done.left_out_spans),
        )
        out: list[Warning_] = []
        for count, code, severity, message, spans in notes:
            if count:
                note = warning(code, severity, f"{count} {message}")
                out.append({**note, "spans": spans} if spans else note)
        return done.impression, out

    @_guarded("diagnosis naming")
    def _name(self, text: str, draft: Draft) -> Edited:
        """The diagnosis the findings' signs state leads when the impression does not name it
        (`python_models.diagnosis_naming`), with a warn-level DIAGNOSIS_NAMED."""
        done = diagnosis_naming.name_diagnoses(text, draft.doc)
        if not done.named:
            return text, []
        note = warning(
            "DIAGNOSIS_NAMED",
            "warn",
            f"{len(done.named)} diagnosis(es) the findings' signs state were named; confirm",
        )
        return done.impression, [{**note, "spans": done.spans}]

    @_guarded("guideline follow-up")
    def _set_followup(self, text: str, draft: Draft) -> Edited:
        """Fleischner recommendations set from the guideline table for the sizes written back
        (`python_models.guideline_followup`), with a warn-level FOLLOWUP_SET when one changed."""
        done = guideline_followup.set_fleischner(text, draft.context.get("patient_age"))
        if not done.replaced:
            return text, []
        return done.impression, [
            warning(
                "FOLLOWUP_SET",
                "warn",
                f"{done.replaced} Fleischner 2017 recommendation(s) did not fit the nodule size "
                "stated and were set from the guideline table",
            )
        ]

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
