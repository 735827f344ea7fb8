"""Tensor helpers used by the Triton adapters."""

import json

import numpy as np
import pytest

from python_models.request_fields import InvalidRequest
from python_models.triton_io import (
    bytes_tensor,
    id_rows,
    json_tensor,
    pad_rows,
    parse_json,
    request_error_message,
    string_rows,
)


def test_string_rows_shapes() -> None:
    arr = np.array([[b"a"], [b"b"]], dtype=object)
    assert string_rows(arr, "x") == [b"a", b"b"]
    assert string_rows(None, "opt", 2) == [None, None]
    with pytest.raises(InvalidRequest, match="shape"):
        string_rows(np.array([b"a", b"b"], dtype=object), "x")
    with pytest.raises(InvalidRequest, match="rows"):
        string_rows(arr, "exam", 3)
    with pytest.raises(InvalidRequest, match="required"):
        string_rows(None, "report_text")


def test_pad_rows_and_id_rows_round_trip() -> None:
    padded = pad_rows([[5, 6, 7], [8]], pad_id=0)
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert [r.tolist() for r in id_rows(padded, "ids")] == [[5, 6, 7], [8, 0, 0]]
    with pytest.raises(InvalidRequest):
        id_rows(np.array([1, 2]), "ids")


def test_bytes_and_json_tensors_keep_non_ascii() -> None:
    t = bytes_tensor(["Pleuraerguss rechts – kein Pneumothorax", "ok"])
    assert t.shape == (2, 1)
    assert t[0, 0].decode("utf-8").endswith("kein Pneumothorax")
    j = json_tensor([{"exam": "Röntgen Thorax"}])
    assert parse_json(j[0, 0], "ctx") == {"exam": "Röntgen Thorax"}
    assert json.loads(j[0, 0]) == {"exam": "Röntgen Thorax"}
    with pytest.raises(InvalidRequest, match="JSON"):
        parse_json(b"{not json", "ctx")


def test_request_error_message_names_rows() -> None:
    assert request_error_message([(0, "report_text is empty")], 1) == "report_text is empty"
    msg = request_error_message([(1, "report_text is empty")], 3)
    assert msg == "row 1: report_text is empty"
