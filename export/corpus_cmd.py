"""`impressions corpus`: write synthetic cases as JSONL (one case per line, with facts)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from export.corpus import SPLITS, generate_cases, render_report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impressions corpus", description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="number of cases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=SPLITS, default="train")
    parser.add_argument(
        "--dictation",
        type=float,
        default=0.0,
        help="share of cases written as people dictate, with the extra exams "
        "(export/corpus_dictation.py); 0 gives the plain corpus",
    )
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl path")
    parser.add_argument(
        "--with-report",
        action="store_true",
        help="also store the rendered report text under 'report'",
    )
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if not 0.0 <= args.dictation <= 1.0:
        print("impressions corpus: --dictation must be within [0, 1]", file=sys.stderr)
        return 2
    cases = generate_cases(args.n, seed=args.seed, split=args.split, dictation=args.dictation)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for case in cases:
            if args.with_report:
                case = {**case, "report": render_report(case)}
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(
        f"wrote {len(cases)} {args.split} cases (seed {args.seed}) to {args.out}", file=sys.stderr
    )
    return 0
