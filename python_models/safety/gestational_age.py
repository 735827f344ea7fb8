"""A gestational age is a measurement too: "CRL 24.1 mm, corresponding to 9 weeks 1 day" in the
findings and "pregnancy at 10 weeks 1 day" in the impression disagree as much as 9 and 10 mm do.
An impression age written to the day ("9 weeks 1 day", "20w5d", "24+2 weeks") must equal one the
findings or the history give (by CRL, by biometry, by LMP), within a few days; an age in whole
weeks ("20 weeks' gestation") must be the whole weeks of one of them. Ages in whole weeks
elsewhere ("follow-up in 6 weeks") are no gestational ages and are not read. `NUM_MISMATCH`;
one of `checks.CHECKS`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from python_models.safety.mentions import lower_same_length

if TYPE_CHECKING:
    from python_models.safety.checks import CheckContext, Span
    from python_models.safety.mentions import Parsed

_WEEKS = r"(?:weeks?|wks?|w)"
_DAYS = r"(?:days?|d)"
_TO_THE_DAY_RE = re.compile(
    rf"(?<![\d.])(\d{{1,2}})\s*{_WEEKS}\s*,?\s*(?:and\s+)?(\d)\s*{_DAYS}\b"
    rf"|(?<![\d.])(\d{{1,2}})\s*\+\s*(\d)(?:\s*{_WEEKS}\b)?"
)
_WHOLE_WEEKS_RE = re.compile(
    rf"(?<![\d.+])(\d{{1,2}})\s*{_WEEKS}'?\s*(?:of\s+)?(?:gestation|gestational age)\b"
)


# Ages a few days apart are one dating restated (by LMP, by CRL, the composite biometry); a
# week or more apart they are two different pregnancies' ages.
_SAME_DATING_DAYS = 3


def _ages(low: str) -> list[tuple[int, int, int, bool]]:
    """(days, start, end, to the day) of each gestational age in lower-cased ``low``."""
    out = []
    for m in _TO_THE_DAY_RE.finditer(low):
        weeks, days = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.append((7 * int(weeks) + int(days), m.start(), m.end(), True))
    for m in _WHOLE_WEEKS_RE.finditer(low):
        if not any(start <= m.start() < end for _, start, end, _ in out):
            out.append((7 * int(m.group(1)), m.start(), m.end(), False))
    return out


def check_gestational_age(
    f: Parsed, i: Parsed, ctx: CheckContext | None = None
) -> dict[str, list[Span]]:
    """NUM_MISMATCH for an impression gestational age no findings age agrees with."""
    bad: list[Span] = []
    stated = f.text + "\n" + (ctx.indication or "" if ctx is not None else "")
    known = [days for days, *_ in _ages(lower_same_length(stated))]
    if not known:
        return {"NUM_MISMATCH": bad}
    for days, start, end, to_the_day in _ages(lower_same_length(i.text)):
        if to_the_day:
            agrees = any(abs(days - k) <= _SAME_DATING_DAYS for k in known)
        else:
            agrees = any(days == k - k % 7 for k in known)
        if not agrees:
            bad.append({"source": "impression", "start": start, "end": end})
    return {"NUM_MISMATCH": bad}
