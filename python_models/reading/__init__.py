"""One reading of a report: sentences, their polarity, regions (see `doc.ReportDoc`)."""

from python_models.reading.doc import ReadSentence, ReportDoc, read_report

__all__ = ["ReadSentence", "ReportDoc", "read_report"]
