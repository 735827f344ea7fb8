"""The `report_check` Triton adapter (model.py) with a stand-in for `triton_python_backend_utils`.

A bug deep in the checks must answer only the requests it hit, with an INTERNAL error naming the
exception type and never its text; the real server tests cannot provoke a bug on purpose.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from typing import Any

import numpy as np
import pytest

from clients.server import DEFAULT_REPOSITORY

MODEL_PY = DEFAULT_REPOSITORY / "report_check" / "1" / "model.py"
PHI = "Mr Quorbly MRN 4417"
GOOD = "FINDINGS: Small left pleural effusion.\nIMPRESSION: Small left pleural effusion."


class _TritonError(Exception):
    INVALID_ARG = "INVALID_ARG"
    INTERNAL = "INTERNAL"

    def __init__(self, message: str, code: str = "UNKNOWN") -> None:
        super().__init__(message)
        self.text, self.code = message, code


class _Response:
    def __init__(self, output_tensors: list | None = None, error: _TritonError | None = None):
        self.output_tensors, self.error = output_tensors or [], error


class _Tensor:
    def __init__(self, name: str, array: np.ndarray) -> None:
        self.name, self.array = name, array

    def as_numpy(self) -> np.ndarray:
        return self.array


class _Logger:
    lines: list[str] = []

    @classmethod
    def log_verbose(cls, line: str) -> None:
        cls.lines.append(line)


def _fake_pb_utils() -> types.ModuleType:
    module = types.ModuleType("triton_python_backend_utils")
    module.TritonError = _TritonError
    module.InferenceResponse = _Response
    module.Tensor = _Tensor
    module.Logger = _Logger
    module.get_input_tensor_by_name = lambda request, name: request.get(name)
    return module


@pytest.fixture
def adapter(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.setitem(sys.modules, "triton_python_backend_utils", _fake_pb_utils())
    spec = importlib.util.spec_from_file_location("report_check_model_under_test", MODEL_PY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(adapter: types.ModuleType, parameters: dict[str, str] | None = None) -> Any:
    config = {"parameters": {k: {"string_value": v} for k, v in (parameters or {}).items()}}
    model = adapter.TritonPythonModel()
    model.initialize({"model_config": json.dumps(config)})
    return model


def _request(*reports: str) -> dict[str, _Tensor]:
    array = np.array([r.encode() for r in reports], dtype=np.object_).reshape(-1, 1)
    return {"report_text": _Tensor("report_text", array)}


def _warnings(response: _Response) -> list:
    assert response.error is None
    (tensor,) = response.output_tensors
    return [json.loads(v) for v in tensor.as_numpy().reshape(-1)]


def test_limit_is_128_kib_by_default_and_from_config(adapter: types.ModuleType) -> None:
    assert _model(adapter).max_report_bytes == 128 * 1024
    assert _model(adapter, {"max_report_bytes": "1000"}).max_report_bytes == 1000
    model = _model(adapter)
    padding = "x" * (128 * 1024 - len(GOOD) + 1)  # one byte over the limit
    (too_big,) = model.execute([_request(GOOD + padding)])
    assert too_big.error.code == _TritonError.INVALID_ARG
    assert "limit is 131072" in too_big.error.text
    (at_limit,) = model.execute([_request(GOOD + padding[:-1])])
    assert _warnings(at_limit) == [[]]


def test_a_bug_in_the_checks_answers_only_its_request(
    adapter: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = adapter.check_report

    def buggy(row: Any, limit: int) -> list[dict]:
        if b"boom" in row.report_text:
            raise KeyError(f"{PHI} leaked by a bug")
        return real(row, limit)

    monkeypatch.setattr(adapter, "check_report", buggy)
    model = _model(adapter)
    good, bug, invalid = model.execute(
        [_request(GOOD), _request(GOOD + " boom", GOOD), _request("IMPRESSION: only")]
    )
    assert _warnings(good) == [[]]
    assert bug.error.code == _TritonError.INTERNAL
    assert "KeyError" in bug.error.text and PHI not in bug.error.text
    assert invalid.error.code == _TritonError.INVALID_ARG


def test_an_unexpected_failure_outside_the_checks_is_caught(
    adapter: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError(PHI)

    monkeypatch.setattr(adapter, "json_tensor", broken)
    monkeypatch.setattr(_Logger, "log_verbose", broken)  # even the log line failing
    first, second = _model(adapter).execute([_request(GOOD), _request(GOOD)])
    for response in (first, second):
        assert response.error.code == _TritonError.INTERNAL
        assert response.error.text == "internal error in report checks (ValueError)"


def test_config_and_preprocess_use_the_same_128_kib_limit() -> None:
    """The report_check limit is a config.pbtxt parameter equal to preprocess's default."""
    from google.protobuf import json_format, text_format
    from tritonclient.grpc import model_config_pb2

    from python_models.model_config import parameter
    from python_models.preprocess import DEFAULT_MAX_REPORT_BYTES as PREPROCESS_LIMIT
    from python_models.safety.report_check import DEFAULT_MAX_REPORT_BYTES

    text = (DEFAULT_REPOSITORY / "report_check" / "config.pbtxt").read_text()
    config = json_format.MessageToDict(
        text_format.Parse(text, model_config_pb2.ModelConfig()), preserving_proto_field_name=True
    )
    assert parameter(config, "max_report_bytes", int, 0) == PREPROCESS_LIMIT == 131072
    assert DEFAULT_MAX_REPORT_BYTES == PREPROCESS_LIMIT
