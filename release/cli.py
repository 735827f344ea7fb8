"""`impressions release` and `impressions rollback`: the command-line faces of release/."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from release.metadata import ReleaseError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPOSITORY = PROJECT_ROOT / "model_repository"
DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        action="append",
        help="HTTP HOST:PORT of a server in explicit mode on this repository; repeat for each "
        "server sharing it (default: 127.0.0.1:8000)",
    )
    parser.add_argument(
        "--admin-key",
        default=os.environ.get("IMPRESSIONS_ADMIN_KEY"),
        help="value of the 'impressions-admin' header (default: $IMPRESSIONS_ADMIN_KEY)",
    )


def _servers(args: argparse.Namespace) -> list:
    from release.activate import Server

    return [Server(url, args.admin_key) for url in args.url or ["127.0.0.1:8000"]]


def release_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="impressions release",
        description="Release CHECKPOINT from its release.yaml: export, parity and quality "
        "gates, the next numbered version folders and a release record (docs/release.md).",
    )
    parser.add_argument("checkpoint", type=Path, nargs="?", help="folder with release.yaml")
    parser.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="folder of the external evaluation sets (read-only; sets absent are skipped)",
    )
    parser.add_argument(
        "--activate", action="store_true", help="then serve it on the running server (--url)"
    )
    parser.add_argument(
        "--version",
        type=int,
        metavar="N",
        help="with --activate and no CHECKPOINT: serve release N, released before",
    )
    _server_args(parser)
    args = parser.parse_args(argv)
    if (args.checkpoint is None) == (args.version is None) or (args.version and not args.activate):
        parser.error("give CHECKPOINT (to release), or --activate --version N (to serve N)")
    from release.activate import activate
    from release.build import release

    try:
        version = args.version
        if args.checkpoint is not None:
            outcome = release(args.checkpoint, args.repository, args.data_dir)
            if not outcome.passed:
                return 1
            version = outcome.version
        if args.activate:
            entry = activate(args.repository, version, _servers(args))
            print(f"serving version {entry['version']} (was {entry['previous']})")
    except ReleaseError as exc:
        print(f"impressions release: {exc}", file=sys.stderr)
        return 2
    return 0


def rollback_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="impressions rollback",
        description="Serve again what the last activation replaced (a stack: repeat to go back "
        "further).",
    )
    parser.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY)
    _server_args(parser)
    args = parser.parse_args(argv)
    from release.activate import rollback

    try:
        entry = rollback(args.repository, _servers(args))
    except ReleaseError as exc:
        print(f"impressions rollback: {exc}", file=sys.stderr)
        return 2
    print(f"rolled back version {entry['version']}: serving {entry['restored']}")
    return 0


main = release_main
