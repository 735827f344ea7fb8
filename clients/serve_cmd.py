"""`impressions serve`: run tritonserver on the model repository until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from clients.server import (
    DEFAULT_REPOSITORY,
    PROJECT_ROOT,
    ServerError,
    TritonServer,
    missing_artifacts,
)

EXAMPLE_REPORT = (
    "EXAM: CT chest without contrast. FINDINGS: 7 mm solid nodule in the right upper lobe. "
    "No pneumothorax. No pleural effusion."
)


def example_calls(http_port: int, grpc_port: int, metrics_port: int) -> str:
    """Copy-paste examples of a call (curl over HTTP, tritonclient over gRPC)."""
    return f"""
Ready. Try it:

  curl -s localhost:{http_port}/v2/models/impression/infer \\
    -H 'Content-Type: application/json' -d '{{
    "inputs": [
      {{"name": "report_text", "shape": [1, 1], "datatype": "BYTES",
       "data": ["{EXAMPLE_REPORT}"]}},
      {{"name": "radiologist_id", "shape": [1, 1], "datatype": "BYTES", "data": ["dr_default"]}}
    ]}}'

  python - <<'PY'
import json, numpy as np, tritonclient.grpc as g
c = g.InferenceServerClient("localhost:{grpc_port}")
t = g.InferInput("report_text", [1, 1], "BYTES")
t.set_data_from_numpy(np.array([[{EXAMPLE_REPORT!r}.encode()]], dtype=object))
r = c.infer("impression", [t])
print(r.as_numpy("impression")[0, 0].decode())
print(json.loads(r.as_numpy("warnings")[0, 0]))
PY

Metrics: http://localhost:{metrics_port}/metrics   Stop: Ctrl-C
"""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="impressions serve", description=__doc__)
    parser.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY)
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--grpc-port", type=int, default=8001)
    parser.add_argument("--metrics-port", type=int, default=8002)
    parser.add_argument(
        "--log-file", type=Path, default=PROJECT_ROOT / "build" / "tritonserver.log"
    )
    parser.add_argument("--ready-timeout", type=float, default=300)
    parser.add_argument(
        "--restricted-api-key",
        metavar="VALUE",
        help="protect the model-repository, logging and trace APIs: callers must send the "
        "header 'impressions-admin: VALUE' (HTTP) / metadata (gRPC)",
    )
    args = parser.parse_args(argv)

    missing = missing_artifacts(args.repository)
    if missing:
        print(
            f"impressions serve: missing artifacts {missing}; run `make artifacts` "
            "(or `impressions export`) first",
            file=sys.stderr,
        )
        return 2
    server = TritonServer(
        args.repository,
        http_port=args.http_port,
        grpc_port=args.grpc_port,
        metrics_port=args.metrics_port,
        log_file=args.log_file,
        restricted_api_key=args.restricted_api_key,
    )
    print("$ " + " ".join(server.command()), flush=True)
    print(f"(server log: {args.log_file})", flush=True)
    # Ctrl-C and SIGTERM both stop the server cleanly, also when this process was started in
    # the background (where a non-interactive shell leaves SIGINT ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    server.start()
    try:
        server.wait_ready(("impression",), timeout=args.ready_timeout)
        print(example_calls(args.http_port, args.grpc_port, args.metrics_port), flush=True)
        code = server.wait()
        print(f"tritonserver exited with code {code}; see {args.log_file}", file=sys.stderr)
        return code or 1
    except KeyboardInterrupt:
        print("\nstopping tritonserver ...", flush=True)
        return 0
    except ServerError as exc:
        print(f"impressions serve: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()
