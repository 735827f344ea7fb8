"""The HTTP API (FastAPI; OpenAPI at /docs and /openapi.json).

`POST /v1/jobs` streams the body to the store while the records are scanned, creates the job
and enqueues it, and answers 202 at once; reads and cancels are plain SQL. Nothing here logs
or returns report text: errors name lines and fields.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from jobs.config import MODELS, Settings
from jobs.db import FINAL, JobDB
from jobs.queue import JobQueue
from jobs.records import Scanner, format_of
from jobs.store import LocalStore, StoreError
from jobs.views import job_view
from jobs.webhooks import WebhookRefused, check_url

MAX_PAYLOAD_BYTES = 1 << 30  # 1 GiB


class Service:
    """What the endpoints share: settings, database, queue, store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = JobDB(settings.resolved_db_url)
        self.queue = JobQueue(settings.resolved_queue_url)
        self.store = LocalStore(settings.resolved_store_dir)


def create_app(settings: Settings) -> FastAPI:
    service = Service(settings)
    app = FastAPI(
        title="impressions jobs",
        version="1",
        description="Asynchronous bulk jobs for the `impression` ensemble and `report_check`.",
    )
    app.state.service = service

    def authorize(request: Request) -> None:
        key = settings.api_key
        if not key:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), key):
            raise HTTPException(401, "missing or wrong API key", {"WWW-Authenticate": "Bearer"})

    auth = [Depends(authorize)]

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def view(job_id: str, request: Request) -> dict[str, Any]:
        job = service.db.get(job_id)
        if job is None:
            raise HTTPException(404, "no such job")
        attempts = service.db.attempts(job_id) if job.webhook_url else None
        return job_view(job, base(request), attempts)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/jobs", status_code=202, dependencies=auth)
    async def submit(
        request: Request,
        model: Annotated[str, Query(description="impression or report_check")] = "impression",
        webhook: Annotated[str | None, Query(description="URL to POST when the job ends")] = None,
        idempotency_key: Annotated[str | None, Query(max_length=200)] = None,
        payload_uri: Annotated[
            str | None, Query(description="store://payloads/NAME already in the store")
        ] = None,
        format: Annotated[str | None, Query(description="jsonl or csv (for payload_uri)")] = None,
    ) -> JSONResponse:
        """Submit a payload (JSONL or CSV body, or `payload_uri`); answers 202 with the job id."""
        if model not in MODELS:
            raise HTTPException(422, f"model must be one of {', '.join(MODELS)}")
        if webhook:
            try:
                check_url(webhook, settings.webhook_hosts, settings.webhook_secret)
            except WebhookRefused as exc:
                raise HTTPException(422, str(exc)) from None
        if idempotency_key:
            existing = await run_in_threadpool(service.db.find_by_key, idempotency_key)
            if existing is not None:
                return _accepted(existing.id, base(request), created=False)
        if payload_uri:
            fmt = format or ("csv" if payload_uri.endswith(".csv") else "jsonl")
            uri, size, scanner = await run_in_threadpool(_scan_stored, service, payload_uri, fmt)
        else:
            fmt = format_of(request.headers.get("content-type"))
            if fmt is None:
                raise HTTPException(
                    415, "Content-Type must be application/x-ndjson (JSONL) or text/csv"
                )
            uri, size, scanner = await _receive(service, request, fmt)
        if scanner.total == 0:
            if not payload_uri:
                service.store.path(uri).unlink(missing_ok=True)
            raise HTTPException(422, "the payload has no records")
        job_id = secrets.token_hex(12)
        job, created = await run_in_threadpool(
            service.db.create_job,
            {
                "id": job_id,
                "model": model,
                "payload_uri": uri,
                "payload_format": fmt,
                "payload_bytes": size,
                "idempotency_key": idempotency_key,
                "webhook_url": webhook,
                "total": scanner.total,
                "invalid": scanner.invalid,
            },
        )
        if not created:  # a concurrent submit with the same key won
            if not payload_uri:
                service.store.path(uri).unlink(missing_ok=True)
            return _accepted(job.id, base(request), created=False)
        await run_in_threadpool(_enqueue, service, job.id)
        return _accepted(job.id, base(request), created=True)

    @app.get("/v1/jobs", dependencies=auth)
    def list_jobs(
        request: Request,
        status: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Jobs, newest first."""
        jobs = service.db.list(status, limit)
        return {"jobs": [job_view(j, base(request)) for j in jobs]}

    @app.get("/v1/jobs/{job_id}", dependencies=auth)
    def get_job(job_id: str, request: Request) -> dict[str, Any]:
        """Status, counts, progress, timings, throughput, result URI, webhook attempts."""
        return view(job_id, request)

    @app.delete("/v1/jobs/{job_id}", dependencies=auth)
    def cancel_job(job_id: str, request: Request) -> dict[str, Any]:
        """Cancel a queued or running job (records already done stay in the results)."""
        job = service.db.get(job_id)
        if job is None:
            raise HTTPException(404, "no such job")
        if service.db.cancel(job_id) and job.webhook_url:
            service.db.update(job_id, webhook_state="pending")
            service.queue.enqueue_webhook(job_id)
        return view(job_id, request)

    @app.get("/v1/jobs/{job_id}/results", dependencies=auth)
    def results(job_id: str) -> StreamingResponse:
        """JSONL, one line per input record in input order: impression + warnings, or error.
        While the job runs, the records finished so far."""
        job = service.db.get(job_id)
        if job is None:
            raise HTTPException(404, "no such job")
        if job.result_uri and service.store.exists(job.result_uri):
            body: Iterator[bytes] = service.store.read_chunks(job.result_uri, 1 << 16)
        else:
            body = (line.encode() + b"\n" for line in service.db.iter_result_lines(job_id))
        headers = {"X-Job-Status": job.status, "X-Job-Final": str(job.status in FINAL).lower()}
        return StreamingResponse(body, media_type="application/x-ndjson", headers=headers)

    @app.put("/v1/payloads/{name}", status_code=201, dependencies=auth)
    async def put_payload(name: str, request: Request) -> dict[str, Any]:
        """Upload a payload into the store without starting a job; submit it by `payload_uri`."""
        uri = f"store://payloads/{name}"
        try:
            target = service.store.path(uri)
        except StoreError as exc:
            raise HTTPException(422, str(exc)) from None
        temp, handle = service.store.open_temp()
        try:
            with handle:
                size = await _stream_body(request, handle)
            temp.replace(target)
        finally:
            service.store.discard(temp)
        return {"payload_uri": uri, "bytes": size}

    return app


def _accepted(job_id: str, base_url: str, *, created: bool) -> JSONResponse:
    return JSONResponse(
        {"job_id": job_id, "status_url": f"{base_url}/v1/jobs/{job_id}", "created": created},
        status_code=202,
    )


def _enqueue(service: Service, job_id: str) -> None:
    service.queue.enqueue_job(job_id)
    service.db.mark_enqueued(job_id)


async def _stream_body(request: Request, handle: Any, scanner: Scanner | None = None) -> int:
    """Copy the request body to ``handle`` chunk by chunk (never whole in memory), refusing a
    payload over the limit; each chunk goes through ``scanner`` when one is given."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PAYLOAD_BYTES:
            raise HTTPException(413, "payload over 1 GiB")
        handle.write(chunk)
        if scanner is not None:
            for _ in scanner.feed(chunk):
                pass
    return size


async def _receive(service: Service, request: Request, fmt: str) -> tuple[str, int, Scanner]:
    """Stream the body to a temp file of the store, scanning records on the way."""
    scanner = Scanner(fmt)
    temp, handle = service.store.open_temp()
    uri = service.store.new_payload_uri(fmt)
    try:
        with handle:
            size = await _stream_body(request, handle, scanner)
            for _ in scanner.close():
                pass
        service.store.publish(temp, uri)
    finally:
        service.store.discard(temp)
    return uri, size, scanner


def _scan_stored(service: Service, uri: str, fmt: str) -> tuple[str, int, Scanner]:
    try:
        if not service.store.exists(uri):
            raise HTTPException(404, "no such payload in the store")
    except StoreError as exc:
        raise HTTPException(422, str(exc)) from None
    if fmt not in ("jsonl", "csv"):
        raise HTTPException(422, "format must be jsonl or csv")
    scanner = Scanner(fmt)
    for chunk in service.store.read_chunks(uri):
        for _ in scanner.feed(chunk):
            pass
    for _ in scanner.close():
        pass
    return uri, service.store.size(uri), scanner
