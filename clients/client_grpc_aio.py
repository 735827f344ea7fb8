"""The asyncio gRPC client (`tritonclient.grpc.aio`): many requests in flight from one thread.

The bulk runner keeps a bounded number of single-report requests in flight so that the server's
dynamic batcher, not the client, forms the batches; one bad report then fails alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import tritonclient.grpc.aio as aio
from tritonclient.utils import InferenceServerException

from clients.client import (
    DEFAULT_GRPC_URL,
    MODEL_NAME,
    Impression,
    Report,
    as_report,
    build_inputs,
    classify_error,
    parse_result,
)


class AsyncImpressionsClient:
    """Non-blocking gRPC client; use `async with` so the channel is closed."""

    def __init__(
        self, url: str | None = None, *, timeout_s: float = 300.0, model: str = MODEL_NAME
    ) -> None:
        self.url = url or DEFAULT_GRPC_URL
        self.timeout_s = timeout_s
        self.model = model
        self._client = aio.InferenceServerClient(self.url)

    async def summarize(self, report: Report | str) -> Impression:
        return (await self.summarize_batch([as_report(report)]))[0]

    async def summarize_batch(self, reports: Sequence[Report]) -> list[Impression]:
        inputs = build_inputs(aio, reports)
        try:
            result = await self._client.infer(self.model, inputs, client_timeout=self.timeout_s)
        except InferenceServerException as exc:
            raise classify_error(exc) from None
        return parse_result(result, expected_rows=len(reports))

    async def is_ready(self) -> bool:
        try:
            return bool(
                await self._client.is_server_ready()
                and await self._client.is_model_ready(self.model)
            )
        except InferenceServerException:
            return False

    async def close(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> AsyncImpressionsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
