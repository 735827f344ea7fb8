"""Split a radiology report into its sections.

Radiologists dictate headers inconsistently ("FINDINGS:", "Findings -", "IMPRESSION"), or none at
all, so parsing is case-insensitive and a report without headers is taken to be all FINDINGS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SECTION_NAMES = ("exam", "indication", "technique", "comparison", "findings", "impression")

# Header aliases -> canonical section. A header starts a line and ends with ':' or '-' or EOL.
_ALIASES: dict[str, str] = {
    "exam": "exam",
    "examination": "exam",
    "study": "exam",
    "procedure": "exam",
    "indication": "indication",
    "indications": "indication",
    "clinical indication": "indication",
    "clinical history": "indication",
    "history": "indication",
    "reason for exam": "indication",
    "technique": "technique",
    "comparison": "comparison",
    "comparisons": "comparison",
    "prior": "comparison",
    "findings": "findings",
    "finding": "findings",
    "impression": "impression",
    "impressions": "impression",
    "conclusion": "impression",
    "summary": "impression",
}
_NAMES = "|".join(sorted((re.escape(a) for a in _ALIASES), key=len, reverse=True))
# A header that starts a line: any case, ended by ':' or '-' or the end of the line.
_LINE_HEADER_RE = re.compile(
    r"^[ \t]*(?P<name>" + _NAMES + r")[ \t]*(?::|-(?=\s)|$)[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
# A header inside a line ("EXAM: CT chest. FINDINGS: ..." sent as one string): only in capitals
# and with a colon, so ordinary words ("history: smoker") in the findings are never split.
_INLINE_HEADER_RE = re.compile(r"(?<=\s)(?P<name>" + _NAMES.upper() + r")[ \t]*:[ \t]*")


_META = frozenset({"exam", "indication", "technique", "comparison"})


def _header_matches(text: str) -> list[re.Match[str]]:
    """Line-start and inline headers in text order, without overlaps."""
    found = sorted(
        [*_LINE_HEADER_RE.finditer(text), *_INLINE_HEADER_RE.finditer(text)],
        key=lambda m: m.start(),
    )
    matches: list[re.Match[str]] = []
    for match in found:
        if not matches or match.start() >= matches[-1].end():
            matches.append(match)
    return matches


@dataclass(frozen=True)
class ReportSections:
    """The sections of one report; absent sections are empty strings."""

    exam: str = ""
    indication: str = ""
    technique: str = ""
    comparison: str = ""
    findings: str = ""
    impression: str = ""
    headers_found: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SECTION_NAMES}


def _clean(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text).strip()


def parse_sections(report_text: str) -> ReportSections:
    """Find the sections of ``report_text``.

    Text before the first header, and the whole report when no header exists, counts as
    FINDINGS unless a FINDINGS header is present (then it is treated as preamble and dropped
    into ``exam`` when the exam is otherwise unknown).
    """
    text = report_text.replace("\r\n", "\n").replace("\r", "\n")
    matches = _header_matches(text)
    if not matches:
        return ReportSections(findings=_clean(text))

    parts: dict[str, list[str]] = {name: [] for name in SECTION_NAMES}
    headers: list[str] = []
    preamble = text[: matches[0].start()]
    names = [_ALIASES[m.group("name").lower()] for m in matches]
    # Without a FINDINGS header, the text after a header's own line is the findings when
    # nothing else would be ("Technique: CT head.\nThere is ...").
    spill = "findings" not in names and not preamble.strip()
    in_findings = False
    for i, (name, match) in enumerate(zip(names, matches, strict=True)):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.end() : end]
        headers.append(name)
        if name in _META and (in_findings or spill) and "\n" in body.strip():
            # a "Technique:" / "Comparison:" line inside the findings: its own line only,
            # the findings go on after it
            line, _, rest = body.strip().partition("\n")
            parts[name].append(line)
            parts["findings"].append(rest)
            continue
        in_findings = name == "findings" or (in_findings and name in _META)
        parts[name].append(body)

    if preamble.strip():
        target = "findings" if "findings" not in headers else "exam"
        parts[target].insert(0, preamble)
    values = {name: _clean("\n".join(chunks)) for name, chunks in parts.items()}
    return ReportSections(**values, headers_found=tuple(dict.fromkeys(headers)))
