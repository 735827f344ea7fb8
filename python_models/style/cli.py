"""`impressions style ...`: manage radiologist style profiles in the style store.

The store is found exactly as the served postprocess model finds it ($IMPRESSIONS_STYLE_DB, a
SQLAlchemy URL or a SQLite path, else ~/.local/share/impressions/styles.sqlite), so what this
command writes is what the running server applies (within about a second, no restart).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from python_models.style.profile import (
    DEFAULT_PROFILE,
    ProfileError,
    StyleProfile,
    parse_profile,
    summarize_errors,
)
from python_models.style.store import ENV_VAR, StyleStore


class CliError(Exception):
    """A user error: printed as one message, exit status 1."""


def _store(args: argparse.Namespace) -> StyleStore:
    return StyleStore(args.db)


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None


def _read_jsonl(path: str) -> list[dict[str, Any]]:
    records = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CliError(f"{path}:{number}: not JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise CliError(f"{path}:{number}: expected an object per line")
                records.append(record)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    return records


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _cmd_list(args: argparse.Namespace) -> int:
    import time

    rows = _store(args).list_profiles()
    for rid, updated in rows:
        print(f"{rid}\t{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(updated))}")
    if not rows:
        print("(no profiles)", file=sys.stderr)
    return 0


def _get(store: StyleStore, rid: str) -> StyleProfile:
    profile = store.get(rid)
    if profile is None:
        raise CliError(f"no style profile for {rid!r} in {store.describe()}")
    return profile


def _cmd_show(args: argparse.Namespace) -> int:
    profile = DEFAULT_PROFILE if args.id == "default" else _get(_store(args), args.id)
    print(_dump(profile.model_dump(mode="json")))
    if args.modality:
        rules = profile.rules_for(args.modality)
        print(f"# effective rules for {args.modality}:")
        print(_dump(rules.model_dump(mode="json")))
    return 0


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `rules.x`-free paths: `list_style=...` means rules.list_style; `overrides.CT.x` too."""
    parts = dotted.split(".")
    if parts[0] not in {"rules", "overrides", "display_name"}:
        parts = ["rules", *parts]
    node = data
    for key in parts[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise CliError(f"{dotted}: {key} is not an object")
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def _cmd_set(args: argparse.Namespace) -> int:
    store = _store(args)
    current = store.get(args.id)
    data = (current or DEFAULT_PROFILE).model_dump(mode="json", exclude_unset=False)
    data["radiologist_id"] = args.id
    for assignment in args.assignments:
        key, sep, raw = assignment.partition("=")
        if not sep or not key:
            raise CliError(f"expected FIELD=VALUE, got {assignment!r}")
        _set_path(data, key.strip(), _parse_value(raw))
    profile = store.put(parse_profile(data))
    print(f"{'updated' if current else 'created'} {profile.radiologist_id}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    store = _store(args)
    profiles = []
    for path in args.files:
        data = _read_json(path)
        for entry in data if isinstance(data, list) else [data]:
            if not isinstance(entry, dict):
                raise CliError(f"{path}: expected a profile object or a list of them")
            try:
                profiles.append(parse_profile(entry))
            except ProfileError as exc:
                raise CliError(f"{path}: {exc}") from None
    for profile in profiles:  # validated all first: nothing is half-imported
        store.put(profile)
        print(f"imported {profile.radiologist_id}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    store = _store(args)
    ids = args.ids or [rid for rid, _ in store.list_profiles()]
    data = [_get(store, rid).model_dump(mode="json") for rid in ids]
    text = _dump(data[0] if len(args.ids) == 1 else data) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"exported {len(data)} profile(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    if not _store(args).delete(args.id):
        raise CliError(f"no style profile for {args.id!r}")
    print(f"deleted {args.id}")
    return 0


def _cmd_learn(args: argparse.Namespace) -> int:
    from python_models.style.learn import LearnError, learn_profile

    records = _read_jsonl(args.reports)
    store = _store(args)
    base = None if args.fresh else store.get(args.radiologist)
    try:
        result = learn_profile(records, args.radiologist, base=base, min_reports=args.min_reports)
    except LearnError as exc:
        raise CliError(str(exc)) from None
    print(f"learned from {result.reports_used} reports ({result.reports_skipped} skipped):")
    for evidence in result.evidence:
        print(f"  {evidence.line()}")
    if args.dry_run:
        print(_dump(result.profile.model_dump(mode="json")))
        return 0
    store.put(result.profile)
    print(f"stored profile {args.radiologist} in {store.describe()}")
    return 0


def _cmd_preview(args: argparse.Namespace) -> int:
    from python_models.style.service import StyleService

    text = sys.stdin.read() if args.text == "-" else args.text
    styled, warnings = StyleService(args.db).apply(text, args.id, args.modality)
    print(styled)
    for warning in warnings:
        print(f"[{warning['code']}] {warning['message']}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impressions style", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db",
        help=f"SQLAlchemy URL or SQLite path (default: ${ENV_VAR} or "
        "~/.local/share/impressions/styles.sqlite)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list stored profiles").set_defaults(func=_cmd_list)

    show = sub.add_parser("show", help="print a profile as JSON ('default' for the default)")
    show.add_argument("id")
    show.add_argument(
        "--modality",
        choices=["XR", "CT", "MR", "US"],
        help="also print the effective rules for this modality",
    )
    show.set_defaults(func=_cmd_show)

    set_ = sub.add_parser(
        "set",
        help="create or change fields: FIELD=VALUE (JSON or text)",
        epilog="e.g. list_style=prose overrides.CT.numbering='1)' "
        '\'term_preferences={"fatty liver": "hepatic steatosis"}\'; '
        "FIELD=null removes an override",
    )
    set_.add_argument("id")
    set_.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    set_.set_defaults(func=_cmd_set)

    imp = sub.add_parser("import", help="store profiles from JSON files (object or list)")
    imp.add_argument("files", nargs="+")
    imp.set_defaults(func=_cmd_import)

    exp = sub.add_parser("export", help="write profiles as JSON (all when no id is given)")
    exp.add_argument("ids", nargs="*")
    exp.add_argument("-o", "--output")
    exp.set_defaults(func=_cmd_export)

    delete = sub.add_parser("delete", help="remove a profile")
    delete.add_argument("id")
    delete.set_defaults(func=_cmd_delete)

    learn = sub.add_parser("learn", help="infer a profile from >= 20 prior reports (JSONL)")
    learn.add_argument("--radiologist", required=True)
    learn.add_argument("reports", help="JSONL with report_text (and optional exam) per line")
    learn.add_argument("--dry-run", action="store_true", help="print, do not store")
    learn.add_argument(
        "--fresh",
        action="store_true",
        help="ignore the stored profile (default: keep its unlearned fields)",
    )
    learn.add_argument("--min-reports", type=int, default=20, help=argparse.SUPPRESS)
    learn.set_defaults(func=_cmd_learn)

    preview = sub.add_parser("preview", help="style one impression ('-' reads stdin)")
    preview.add_argument("id")
    preview.add_argument("text")
    preview.add_argument("--modality", choices=["XR", "CT", "MR", "US"])
    preview.set_defaults(func=_cmd_preview)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:  # never print pydantic's own text: it quotes input values
        print(
            f"impressions style: invalid style profile:\n{summarize_errors(exc)}", file=sys.stderr
        )
        return 1
    except (CliError, ProfileError, ValueError) as exc:
        print(f"impressions style: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        # libpq's own reason ("password authentication failed for user ...", "database ... does
        # not exist"): it names host, port and user, never the password; one line, no traceback.
        lines = str(exc.orig or exc).strip().splitlines()
        reason = lines[-1].strip() if lines else type(exc).__name__
        print(
            f"impressions style: the style store ({ENV_VAR}) cannot be reached: {reason}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
