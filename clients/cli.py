"""The one CLI of the project: `impressions <command> ...`.

Each subcommand lives in its own module exposing ``main(argv: list[str]) -> int``; the module is
imported only when its command runs, so a heavy import (torch) never slows `impressions --help`.
"""

from __future__ import annotations

import importlib
import sys

# command -> (module, one-line help). Modules own their own argparse parser.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("clients.serve_cmd", "start tritonserver on the model repository and wait for it"),
    "export": ("export.export_cmd", "export a seq2seq checkpoint into the model repository"),
    "bench": ("clients.bench", "benchmark HF eager vs in-process engine vs the ensemble"),
    "corpus": ("export.corpus_cmd", "write the synthetic report corpus (JSONL)"),
    "train": ("export.train", "train the demo tokenizer and model from the corpus"),
    "bench-post": ("export.bench_postprocess", "time each postprocess edit on test reports"),
    "eval": (
        "export.evaluate",
        "quality report: external sets (--dataset FILE) or the synthetic test split",
    ),
    "style": ("python_models.style.cli", "radiologist style profiles: learn/show/list/set/..."),
    "check-eval": (
        "python_models.safety.evaluate",
        "measure safety-check recall on injected errors",
    ),
    "summarize": ("clients.summarize_cmd", "summarize one report through the running server"),
    "bulk": ("clients.bulk", "run thousands of reports through the server, resumable"),
    "load": ("clients.load", "perf_analyzer load test sweep with chart"),
    "perf-analyzer": (
        "clients.perf_analyzer_cmd",
        "run perf_analyzer as typed (-- ARGS), with the libraries it needs",
    ),
    "tune": ("clients.tune", "search the serving configuration with real load (docs/tuning.md)"),
    "release": ("release.cli", "release a checkpoint from its release.yaml (gates, version dir)"),
    "rollback": ("release.rollback_cmd", "serve again what the last release activation replaced"),
    "jobs": ("jobs.cli", "asynchronous bulk job service: serve/submit/status/wait/results/cancel"),
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: impressions <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run `impressions <command> --help` for the options of a command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"impressions: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
