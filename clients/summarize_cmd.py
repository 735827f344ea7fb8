"""`impressions summarize report.txt`: one report through the running server.

Prints the impression on stdout and the warnings on stderr (or one JSON object with `--json`).
Exit codes: 0 answered, 2 the report was rejected, 3 the server is busy or unreachable, 1 other.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from clients.client import (
    ImpressionsClient,
    ImpressionsError,
    InvalidReportError,
    Report,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="impressions summarize", description="Summarize one radiology report."
    )
    parser.add_argument(
        "report", nargs="?", default="-", help="report text file ('-' or none: stdin)"
    )
    parser.add_argument("--radiologist", help="radiologist id whose style to apply")
    parser.add_argument("--exam", help="exam description, e.g. 'CT chest without contrast'")
    parser.add_argument("--sex", help="patient sex: F, M, O or U")
    parser.add_argument("--age", help="patient age in whole years")
    parser.add_argument("--url", help="server host:port (default 127.0.0.1:8001 gRPC / 8000 HTTP)")
    parser.add_argument("--protocol", choices=("http", "grpc"), default="grpc")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument("--json", action="store_true", help="print {impression, warnings} JSON")
    return parser


def read_report(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    return Path(source).read_text(encoding="utf-8")


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        text = read_report(args.report)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"impressions summarize: cannot read {args.report}: {exc}", file=sys.stderr)
        return 2
    report = Report(
        text,
        radiologist_id=args.radiologist,
        exam=args.exam,
        patient_sex=args.sex,
        patient_age=args.age,
    )
    try:
        with ImpressionsClient(args.url, protocol=args.protocol, timeout_s=args.timeout) as client:
            answer = client.summarize(report)
    except InvalidReportError as exc:
        print(f"impressions summarize: report rejected: {exc.message}", file=sys.stderr)
        return 2
    except ImpressionsError as exc:
        print(f"impressions summarize: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3 if exc.retryable else 1
    if args.json:
        payload = {"impression": answer.impression, "warnings": answer.warnings}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(answer.impression)
        for warning in answer.warnings:
            print(
                f"[{warning.get('severity')}] {warning.get('code')}: {warning.get('message')}",
                file=sys.stderr,
            )
    return 0
