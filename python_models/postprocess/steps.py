"""The edits postprocess makes after the candidate choice, one concern each, in the order
they run (`EDITS`); each has one signature, ``(text, Draft) -> (text, warnings)``, and names
itself in the warnings when it changed the text. Each is a config switch of the postprocess
model (its `config.pbtxt` parameter in `EDITS`).

1. critical completion: a critical finding the draft leaves out is added from the findings
   (CRIT_ADDED, block; `python_models.critical_completion`);
2. item grounding: every sentence held to the findings' lexicon facts (GROUNDING_EDIT, block;
   `python_models.item_grounding`);
3. bilateral merge: one finding stated left and right becomes one bilateral item
   (SIDES_MERGED; `python_models.bilateral_merge`);
4. pertinent negatives: the exam's clinical question answered when the findings answer it
   (NEGATIVE_ADDED; `python_models.pertinent_negatives`);
5. the findings gate: every statement held to one reading of the report, every non-incidental
   findings sentence represented, the exam's own normal phrase (UNSUPPORTED_REMOVED,
   FINDING_ADDED, REGION_FIXED, NORMAL_STATED, NOTHING_STATED, CONTEXT_KEPT, LEFT_OUT;
   `python_models.findings_gate`);
6. diagnosis naming: the diagnosis specific signs state leads (DIAGNOSIS_NAMED;
   `python_models.diagnosis_naming`);
7. guideline follow-up: Fleischner recommendations set from the table for the sizes written
   back, removed where the table does not apply to the patient or study (FOLLOWUP_SET,
   FOLLOWUP_REMOVED; `python_models.guideline_followup`).

A step that raises leaves the text as it was, with a blocking STEP_FAILED (`_guarded`): one
report must not fail its batch, and an unchecked answer must not pass unreviewed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from python_models import (
    bilateral_merge,
    critical_completion,
    diagnosis_naming,
    findings_gate,
    guideline_followup,
    item_grounding,
    pertinent_negatives,
)
from python_models.exams import modality_of
from python_models.guidelines import fleischner_excluded
from python_models.pipeline_warnings import Warning_, warning
from python_models.postprocess.request import Draft
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
Step = Callable[[str, Draft], Edited]


def _guarded(name: str) -> Callable[[Step], Step]:
    """A step that raises leaves the text as it was, with a blocking STEP_FAILED warning: one
    report must not fail its batch, and an answer a safety step could not check must not reach
    the clinician unreviewed. Logged by exception type only."""

    def wrap(step: Step) -> Step:
        @functools.wraps(step)
        def run(text: str, draft: Draft) -> Edited:
            try:
                return step(text, draft)
            except Exception as exc:  # noqa: BLE001 - see the docstring
                log.error("%s failed: %s", name, type(exc).__name__)
                failed = warning(
                    "STEP_FAILED", "block", f"postprocess step '{name}' failed; review manually"
                )
                return text, [failed]

        return run

    return wrap


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
_NOTHING_STATED = (
    "findings stating neither a finding nor normality back no impression; the impression says "
    "so; review the report"
)
_CONTEXT_KEPT = (
    "item(s) now say the organ header or exam side they stand under, or spell out a side "
    'written as one letter ("L UVJ")'
)
_LEFT_OUT = "incidental finding(s) of a study with other findings are not in the impression"


@_guarded("critical completion")
def complete_critical(text: str, draft: Draft) -> Edited:
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
        done.spans,
    )
    return done.impression, [added]


@_guarded("item grounding")
def ground_items(text: str, draft: Draft) -> Edited:
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
        done.spans,
    )
    return done.impression, [edit]


@_guarded("bilateral merge")
def merge_bilateral(text: str, draft: Draft) -> Edited:
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
def answer_question(text: str, draft: Draft) -> Edited:
    """The clinical question of the exam (and of the indication) answered when the findings
    deny the finding and the draft is silent (`python_models.pertinent_negatives`), with a
    warn-level NEGATIVE_ADDED pointing at the findings sentences."""
    done = pertinent_negatives.answer_question(text, draft.doc, draft.context.get("indication"))
    if not done.added:
        return text, []
    added = warning(
        "NEGATIVE_ADDED",
        "warn",
        f"{done.added} negative answer(s) to the clinical question of the exam or the "
        "indication, stated in the findings, were added to the impression",
        done.spans,
    )
    return done.impression, [added]


@_guarded("held to the findings")
def hold_to_findings(text: str, draft: Draft) -> Edited:
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
        (done.nothing_stated, "NOTHING_STATED", "block", _NOTHING_STATED, None),
        (done.context_kept + done.sides_spelled, "CONTEXT_KEPT", "warn", _CONTEXT_KEPT, None),
        (len(done.left_out_spans), "LEFT_OUT", "warn", _LEFT_OUT, done.left_out_spans),
    )
    out: list[Warning_] = []
    for count, code, severity, message, spans in notes:
        if count:
            out.append(warning(code, severity, f"{count} {message}", spans or None))
    return done.impression, out


@_guarded("diagnosis naming")
def name_diagnoses(text: str, draft: Draft) -> Edited:
    """The diagnosis the findings' signs state leads when the impression does not name it
    (`python_models.diagnosis_naming`), with a warn-level DIAGNOSIS_NAMED."""
    done = diagnosis_naming.name_diagnoses(text, draft.doc)
    if not done.named:
        return text, []
    note = warning(
        "DIAGNOSIS_NAMED",
        "warn",
        f"{len(done.named)} diagnosis(es) the findings' signs state were named; confirm",
        done.spans,
    )
    return done.impression, [note]


@_guarded("guideline follow-up")
def set_followup(text: str, draft: Draft) -> Edited:
    """Fleischner recommendations set from the guideline table for the sizes written back
    (`python_models.guideline_followup`), with a warn-level FOLLOWUP_SET when one changed;
    removed, with FOLLOWUP_REMOVED, where the table does not apply to the patient or study."""
    age, exam = draft.context.get("patient_age"), draft.context.get("exam")
    why = fleischner_excluded(age, draft.context.get("indication"), modality_of(exam))
    done = guideline_followup.set_fleischner(text, age, excluded=why is not None)
    removed = (
        f"the table does not apply ({why})"
        if why
        else "no table is for the nodule, or the guideline is named in other words than the table's"
    )
    notes = (
        (done.removed, "FOLLOWUP_REMOVED", f"Fleischner 2017 recommendation(s) removed: {removed}"),
        (
            done.replaced,
            "FOLLOWUP_SET",
            "Fleischner 2017 recommendation(s) did not fit the nodule size stated and were set "
            "from the guideline table",
        ),
    )
    out = [warning(code, "warn", f"{count} {message}") for count, code, message in notes if count]
    return (done.impression, out) if out else (text, [])


# Postprocessor switch -> its step; run in the order of EDITS
STEPS: dict[str, Step] = {
    "complete_critical": complete_critical,
    "ground_items": ground_items,
    "merge_bilateral": merge_bilateral,
    "pertinent_negatives": answer_question,
    "hold_to_findings": hold_to_findings,
    "name_diagnoses": name_diagnoses,
    "guideline_followup": set_followup,
}
