"""Shared by the postprocess tests: no style, and one text finished against its findings."""

from __future__ import annotations

from typing import Any

from python_models.postprocess import Finished, Postprocessor


class NoStyle:
    """A styler that leaves the impression as it is (the tests look at the edits, not style)."""

    def apply(self, impression: str, radiologist_id: Any, modality: Any) -> tuple[str, list]:
        return impression, []


def slots_only(tokenizer: Any) -> Postprocessor:
    """A postprocessor that only writes slot values back: no checks, no grounding, no gate."""
    return Postprocessor(
        tokenizer,
        NoStyle(),
        lambda findings, ctx: lambda impression: [],
        ground_items=False,
        hold_to_findings=False,
    )


def finish(post: Postprocessor, text: str, findings: str, exam: str | None = None) -> Finished:
    """``text`` tokenized with the postprocessor's tokenizer and finished as one request."""
    ids = post.tokenizer(text, add_special_tokens=False)["input_ids"]
    context: dict[str, Any] = {"findings": findings, "warnings": []}
    if exam is not None:
        context["exam"] = exam
    (done,) = post.finish([(ids, context)])
    return done
