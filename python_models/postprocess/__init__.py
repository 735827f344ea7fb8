"""postprocess: generated ids -> the served impression and its warnings.

Read it in the order it runs:
- `request`: the context of each row checked (`validate_context`, `validate_ids`) and the
  `Draft` every step reads, with the one reading of the report (`Draft.doc`);
- `pipeline.Postprocessor.finish`: decode, write measurements back, choose the candidate the
  checks object to least;
- `steps`: the edits, one concern each, in the order of `EDITS`, each named in the warnings
  where it changed the text;
- then the radiologist's style and the safety checks.
No Triton import: the Triton adapter is `model_repository/postprocess/1/model.py`.
"""

from python_models.postprocess.pipeline import CheckerFactory, Decoder, Postprocessor, Styler
from python_models.postprocess.request import (
    Check,
    Draft,
    Finished,
    validate_context,
    validate_ids,
)
from python_models.postprocess.steps import EDITS, STEPS

__all__ = [
    "EDITS",
    "STEPS",
    "Check",
    "CheckerFactory",
    "Decoder",
    "Draft",
    "Finished",
    "Postprocessor",
    "Styler",
    "validate_context",
    "validate_ids",
]
