"""`impressions jobs serve|worker|submit|status|list|wait|results|cancel|bench`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from jobs.client import DEFAULT_URL, JobsClient, JobsError
from jobs.config import from_env, is_loopback


def _service_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="state, queue and store (embedded mode)")
    parser.add_argument("--db-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    parser.add_argument("--queue-url", help="redis://HOST:PORT/DB or a SQLite path (default)")
    parser.add_argument("--store-dir", type=Path, help="payload/result store (shared in scale-out)")
    parser.add_argument("--triton-url", help="gRPC host:port of Triton (default 127.0.0.1:8001)")
    parser.add_argument("--concurrency", type=int, help="Triton requests in flight per job (16)")
    parser.add_argument("--job-threads", type=int, help="jobs run at once per worker (2)")
    parser.add_argument("--lease-s", type=float, help="seconds a silent worker keeps a job (15)")
    parser.add_argument("--webhook-secret", help="HMAC-SHA256 signing secret for webhooks")
    parser.add_argument(
        "--webhook-host", action="append", default=None, help="allowed webhook host (repeat)"
    )
    parser.add_argument(
        "--webhook-retry-s", type=float, help="first webhook retry delay, doubling (1.0)"
    )


def _settings(args: argparse.Namespace, **extra: Any):  # type: ignore[no-untyped-def]
    return from_env(
        data_dir=args.data_dir,
        db_url=args.db_url,
        queue_url=args.queue_url,
        store_dir=args.store_dir,
        triton_url=args.triton_url,
        concurrency=args.concurrency,
        job_threads=args.job_threads,
        lease_s=args.lease_s,
        webhook_secret=args.webhook_secret,
        webhook_hosts=tuple(args.webhook_host) if args.webhook_host else None,
        webhook_base_delay_s=args.webhook_retry_s,
        **extra,
    )


def _client_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=os.environ.get("IMPRESSIONS_JOBS_URL", DEFAULT_URL))
    parser.add_argument("--api-key", default=os.environ.get("IMPRESSIONS_JOBS_API_KEY"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impressions jobs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="API + workers (+ Triton when none answers)")
    _service_args(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--api-key", default=os.environ.get("IMPRESSIONS_JOBS_API_KEY"))
    serve.add_argument("--workers", type=int, default=1, help="worker processes (0: API only)")
    serve.add_argument(
        "--no-start-triton", action="store_true", help="never start a tritonserver here"
    )
    serve.add_argument(
        "--idle-stop-minutes", type=float, help="stop the started Triton after N idle minutes"
    )

    worker = sub.add_parser("worker", help="a worker process (scale-out: one per machine)")
    _service_args(worker)

    submit = sub.add_parser("submit", help="submit a JSONL or CSV payload")
    _client_args(submit)
    submit.add_argument("payload", nargs="?", type=Path, help="file (.jsonl/.csv)")
    submit.add_argument("--payload-uri", help="store://payloads/NAME instead of a file")
    submit.add_argument("--format", choices=("jsonl", "csv"))
    submit.add_argument("--model", default="impression", choices=("impression", "report_check"))
    submit.add_argument("--webhook")
    submit.add_argument("--idempotency-key")
    submit.add_argument("--wait", action="store_true", help="wait with a progress bar")

    for name, help_ in (
        ("status", "status of a job (JSON)"),
        ("wait", "wait for a job with a progress bar"),
        ("results", "results of a job (JSONL)"),
        ("cancel", "cancel a job"),
    ):
        cmd = sub.add_parser(name, help=help_)
        _client_args(cmd)
        cmd.add_argument("job_id")
        if name == "results":
            cmd.add_argument("-o", "--output", type=Path, help="file (default: stdout)")
        if name == "wait":
            cmd.add_argument("--timeout", type=float)
    listing = sub.add_parser("list", help="jobs, newest first")
    _client_args(listing)
    listing.add_argument("--status")

    sub.add_parser("bench", help="benchmarks (see `impressions jobs bench --help`)", add_help=False)
    return parser


def main(argv: list[str]) -> int:
    if argv and argv[0] == "bench":
        from jobs.bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "worker":
        from jobs.worker import run_worker

        run_worker(_settings(args))
        return 0
    try:
        with JobsClient(args.url, args.api_key) as client:
            return _client_command(args, client)
    except JobsError as exc:
        print(f"impressions jobs: {exc}", file=sys.stderr)
        return 1


def _client_command(args: argparse.Namespace, client: JobsClient) -> int:
    if args.command == "submit":
        if args.payload is None and not args.payload_uri:
            print("impressions jobs submit: give a file or --payload-uri", file=sys.stderr)
            return 2
        answer = client.submit(
            args.payload,
            fmt=args.format,
            model=args.model,
            webhook=args.webhook,
            idempotency_key=args.idempotency_key,
            payload_uri=args.payload_uri,
        )
        print(json.dumps(answer))
        if args.wait:
            return _wait(client, answer["job_id"], None)
        return 0
    if args.command == "status":
        print(json.dumps(client.status(args.job_id), indent=2))
        return 0
    if args.command == "list":
        for job in client.list(args.status):
            counts = job["counts"]
            print(
                f"{job['job_id']}  {job['status']:<9}  {counts['done']}+{counts['failed']}"
                f"/{counts['total']}  {job['created_at']}"
            )
        return 0
    if args.command == "wait":
        return _wait(client, args.job_id, args.timeout)
    if args.command == "cancel":
        print(json.dumps(client.cancel(args.job_id), indent=2))
        return 0
    if args.command == "results":
        out = args.output.open("wb") if args.output else sys.stdout.buffer
        try:
            for line in client.results(args.job_id):
                out.write(line + b"\n")
        finally:
            if args.output:
                out.close()
        return 0
    raise AssertionError(args.command)


def _wait(client: JobsClient, job_id: str, timeout: float | None) -> int:
    from tqdm import tqdm

    bar = tqdm(unit="report", dynamic_ncols=True, file=sys.stderr)

    def show(state: dict[str, Any]) -> None:
        counts = state["counts"]
        bar.total = counts["total"]
        bar.n = counts["done"] + counts["failed"]
        bar.set_postfix(status=state["status"], failed=counts["failed"], refresh=False)
        bar.refresh()

    try:
        final = client.wait(job_id, timeout=timeout, on_status=show)
    finally:
        bar.close()
    print(json.dumps(final, indent=2))
    return 0 if final["status"] == "succeeded" else 1


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from jobs.api import create_app
    from jobs.supervisor import ManagedTriton, Supervisor, triton_answers

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.api_key and not is_loopback(args.host):
        print(
            f"impressions jobs serve: refusing to listen on {args.host} without an API key "
            "(--api-key or IMPRESSIONS_JOBS_API_KEY); loopback needs none",
            file=sys.stderr,
        )
        return 2
    settings = _settings(args, api_key=args.api_key, idle_stop_minutes=args.idle_stop_minutes)
    triton = None
    if not args.no_start_triton and not triton_answers(settings.triton_url):
        triton = ManagedTriton(settings)
        print(
            f"impressions jobs: no Triton at {settings.triton_url}; starting one "
            f"(log {triton.server.log_path})",
            file=sys.stderr,
        )
        triton.start(wait=False)
    supervisor = Supervisor(settings, args.workers, triton)
    supervisor.start()
    # uvicorn re-raises SIGTERM after its graceful shutdown; with the default handler that would
    # end the process before the finally below stops the workers and the Triton started here
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        app = create_app(settings)
        app.state.supervisor = supervisor
        print(
            f"impressions jobs: API on http://{args.host}:{args.port} (docs at /docs)",
            file=sys.stderr,
        )
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    finally:
        supervisor.stop()
        if triton is not None:
            triton.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
