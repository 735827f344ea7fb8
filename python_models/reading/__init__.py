"""One reading of a report: sentences, their polarity, regions (`doc.ReportDoc`).

Kept free of imports so the safety checks can read sentences through `sentences` and
`polarity` without pulling in the postprocess steps that `doc` stands on.
"""
