"""Calls to Triton for one record, and the readiness checks around a job.

One record is one request: the server's dynamic batcher forms the batches, and a bad report
fails alone. Errors are classified by the project's client (`clients.client.classify_error`):
busy answers are retried with backoff, invalid reports become the record's error, an
unreachable server pauses the job until it answers again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import tritonclient.grpc.aio as aio
from tritonclient.utils import InferenceServerException

from clients.client import Report, build_inputs, classify_error, parse_result


class TritonCaller:
    """An asyncio gRPC client for `impression` or `report_check` (one per event loop)."""

    def __init__(self, url: str, timeout_s: float = 300.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client = aio.InferenceServerClient(url)

    async def call(self, model: str, fields: dict[str, str]) -> dict[str, Any]:
        """The result fields of one record: impression + warnings, or warnings alone."""
        if model == "report_check":
            fields = {k: v for k, v in fields.items() if k != "radiologist_id"}
        inputs = build_inputs(aio, [Report(**fields)])
        try:
            result = await self._client.infer(model, inputs, client_timeout=self.timeout_s)
        except InferenceServerException as exc:
            raise classify_error(exc) from None
        if model == "report_check":
            raw = result.as_numpy("warnings")
            if raw is None:
                raise ValueError("report_check answered without warnings")
            return {"warnings": json.loads(raw.reshape(-1)[0])}
        answer = parse_result(result, expected_rows=1)[0]
        return {"impression": answer.impression, "warnings": answer.warnings}

    async def ready(self, model: str) -> bool:
        try:
            return bool(
                await self._client.is_server_ready() and await self._client.is_model_ready(model)
            )
        except (InferenceServerException, OSError):
            return False

    async def wait_ready(
        self,
        model: str,
        timeout_s: float,
        poll_s: float = 0.5,
        stop: Callable[[], bool] = lambda: False,
    ) -> float | None:
        """Seconds waited until `model` was ready (0.0 when it already was); None on timeout
        or when `stop()` says the wait is pointless (the job was cancelled meanwhile)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            if await self.ready(model):
                return loop.time() - started
            if loop.time() - started > timeout_s or stop():
                return None
            await asyncio.sleep(poll_s)

    async def close(self) -> None:
        await self._client.close()
