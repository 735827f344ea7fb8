"""A small HTTP client of the job service, used by the CLI, the tests and the benchmark."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

CONTENT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
DEFAULT_URL = "http://127.0.0.1:8080"


class JobsError(RuntimeError):
    """The service answered with an error (status code and its message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


def _file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


class JobsClient:
    """Submit, read, wait for and cancel jobs over HTTP."""

    def __init__(self, url: str = DEFAULT_URL, api_key: str | None = None, timeout: float = 60):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> JobsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, answer: httpx.Response) -> Any:
        if answer.status_code >= 400:
            try:
                detail = answer.json().get("detail", answer.text)
            except ValueError:
                detail = answer.text
            raise JobsError(answer.status_code, str(detail))
        return answer.json()

    def submit(
        self,
        payload: Path | bytes | None = None,
        *,
        fmt: str | None = None,
        model: str = "impression",
        webhook: str | None = None,
        idempotency_key: str | None = None,
        payload_uri: str | None = None,
    ) -> dict[str, Any]:
        """POST /v1/jobs; a file is streamed in 1 MiB chunks, never read whole."""
        params = {"model": model}
        if webhook:
            params["webhook"] = webhook
        if idempotency_key:
            params["idempotency_key"] = idempotency_key
        if payload_uri:
            params["payload_uri"] = payload_uri
            if fmt:
                params["format"] = fmt
            return self._check(self.http.post("/v1/jobs", params=params))
        if isinstance(payload, Path):
            fmt = fmt or ("csv" if payload.suffix.lower() == ".csv" else "jsonl")
            content: Any = _file_chunks(payload)
        else:
            fmt = fmt or "jsonl"
            content = payload or b""
        headers = {"Content-Type": CONTENT_TYPES[fmt]}
        return self._check(
            self.http.post("/v1/jobs", params=params, content=content, headers=headers)
        )

    def status(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.get(f"/v1/jobs/{job_id}"))

    def list(self, status: str | None = None) -> list[dict[str, Any]]:
        params = {"status": status} if status else {}
        return self._check(self.http.get("/v1/jobs", params=params))["jobs"]

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.delete(f"/v1/jobs/{job_id}"))

    def results(self, job_id: str) -> Iterator[bytes]:
        """The result lines (bytes, without newline), streamed."""
        with self.http.stream("GET", f"/v1/jobs/{job_id}/results") as answer:
            if answer.status_code >= 400:
                answer.read()
                self._check(answer)
            for line in answer.iter_lines():
                if line:
                    yield line.encode()

    def wait(
        self,
        job_id: str,
        *,
        timeout: float | None = None,
        poll_s: float = 0.5,
        on_status: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll until the job ends (succeeded, failed or cancelled); TimeoutError after timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.status(job_id)
            if on_status:
                on_status(state)
            if state["status"] in ("succeeded", "failed", "cancelled"):
                return state
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {state['status']} after {timeout}s")
            time.sleep(poll_s)
