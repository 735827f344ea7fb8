"""Kubernetes probes for the impressions Triton pod (stdlib only: runs in the NGC image).

    python3 probe.py ready --url 127.0.0.1:8000   exit 0 when the ensemble is ready and a
                                                   canary report gets an impression
    python3 probe.py live  --url 127.0.0.1:8000   exit 1 only when a restart would help: the
                                                   server is not live, or the canary fails for
                                                   a reason other than load (a dead Python
                                                   stub, a model that is not ready)

Why a canary: Triton 2.51 keeps /v2/health/ready true while a Python stub is dead; only a
request shows it ("Stub process ... is not healthy"). The canary is synthetic, never a patient's.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request

MODEL = "impression"
CANARY = "EXAM: XR chest. FINDINGS: The lungs are clear. No pleural effusion. No pneumothorax."
# Errors that mean "busy", not "broken": a restart would only add load elsewhere.
BUSY = ("exceeds maximum queue size", "timed out", "timeout", "unavailable")


def _get(url: str, timeout: float) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def canary(base: str, timeout: float) -> tuple[bool, str]:
    """(answered, error text) for one synthetic report through the ensemble."""
    body = json.dumps(
        {
            "inputs": [
                {"name": "report_text", "shape": [1, 1], "datatype": "BYTES", "data": [CANARY]}
            ]
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/v2/models/{MODEL}/infer", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return False, str(json.loads(exc.read()).get("error", exc.code))
        except (ValueError, AttributeError):
            return False, f"HTTP {exc.code}"
    except TimeoutError:
        return False, "timed out"
    outputs = {o["name"]: o for o in answer.get("outputs", [])}
    text = outputs.get("impression", {}).get("data", [""])[0]
    return (True, "") if text else (False, "empty impression")


def ready(base: str, timeout: float) -> tuple[int, str]:
    if _get(f"{base}/v2/models/{MODEL}/ready", timeout) != 200:
        return 1, f"{MODEL} is not ready"
    ok, error = canary(base, timeout)
    return (0, "ready") if ok else (1, f"canary failed: {error}")


def live(base: str, timeout: float) -> tuple[int, str]:
    if _get(f"{base}/v2/health/live", timeout) != 200:
        return 1, "server is not live"
    ok, error = canary(base, timeout)
    if ok:
        return 0, "live"
    if any(word in error.lower() for word in BUSY):
        return 0, f"live but busy: {error}"
    return 1, f"canary failed: {error}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=("ready", "live"))
    parser.add_argument("--url", default="127.0.0.1:8000", help="HTTP HOST:PORT")
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args(argv)
    base = f"http://{args.url}"
    try:
        code, message = (ready if args.probe == "ready" else live)(base, args.timeout)
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        code, message = 1, f"server unreachable: {type(exc).__name__}"
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main())
