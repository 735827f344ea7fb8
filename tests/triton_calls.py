"""Plain tritonclient calls used by the integration tests (HTTP and gRPC alike)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

PROTOCOLS = ("http", "grpc")


@dataclass
class Answer:
    impression: list[str]
    warnings: list[list[dict[str, Any]]]


def client_for(protocol: str, server: Any, concurrency: int = 1) -> Any:
    if protocol == "http":
        return httpclient.InferenceServerClient(
            server.http_url, concurrency=concurrency, network_timeout=300, connection_timeout=300
        )
    return grpcclient.InferenceServerClient(server.grpc_url)


def string_inputs(protocol: str, **columns: list[str | bytes] | None) -> list[Any]:
    """[B, 1] BYTES inputs, one per named column (None columns are not sent)."""
    module = httpclient if protocol == "http" else grpcclient
    inputs = []
    for name, values in columns.items():
        if values is None:
            continue
        data = np.array(
            [v.encode("utf-8") if isinstance(v, str) else v for v in values], dtype=np.object_
        ).reshape(-1, 1)
        tensor = module.InferInput(name, list(data.shape), "BYTES")
        tensor.set_data_from_numpy(data)
        inputs.append(tensor)
    return inputs


def decode(result: Any) -> Answer:
    impressions = [v.decode("utf-8") for v in result.as_numpy("impression").reshape(-1)]
    warnings = [json.loads(v) for v in result.as_numpy("warnings").reshape(-1)]
    return Answer(impressions, warnings)


def infer(protocol: str, server: Any, model: str = "impression", **columns: Any) -> Any:
    client = client_for(protocol, server)
    try:
        return client.infer(model, string_inputs(protocol, **columns))
    finally:
        client.close()


def summarize(protocol: str, server: Any, reports: list[str | bytes], **context: Any) -> Answer:
    return decode(infer(protocol, server, report_text=reports, **context))
