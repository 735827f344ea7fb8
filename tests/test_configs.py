"""Model configs: parsed with Triton's own protobuf schema, checked against goldens and the
ensemble contract (names, dtypes, CPU placement of Python pre/post models, bounded queues).

A deliberate config change updates the goldens with `UPDATE_GOLDEN=1 pytest tests/test_configs.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from clients.server import DEFAULT_REPOSITORY

GOLDEN_DIR = Path(__file__).parent / "golden"
MODELS = sorted(p.parent.name for p in DEFAULT_REPOSITORY.glob("*/config.pbtxt"))
ModelConfig = model_config_pb2.ModelConfig


def load(model: str) -> model_config_pb2.ModelConfig:
    text = (DEFAULT_REPOSITORY / model / "config.pbtxt").read_text()
    assert "${" not in text, f"{model}: unfilled template placeholder"
    return text_format.Parse(text, ModelConfig())


@pytest.mark.parametrize("model", MODELS)
def test_config_matches_golden(model: str) -> None:
    rendered = text_format.MessageToString(load(model))
    golden = GOLDEN_DIR / f"{model}.pbtxt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        golden.write_text(rendered)
    if not golden.exists():
        pytest.fail(
            f"no golden for {model}; review the config, then UPDATE_GOLDEN=1 pytest {__file__}"
        )
    assert rendered == golden.read_text(), f"{model} config differs from {golden}"


@pytest.mark.parametrize("model", MODELS)
def test_config_name_matches_folder_and_has_a_version(model: str) -> None:
    config = load(model)
    assert config.name == model
    assert (DEFAULT_REPOSITORY / model / "1").is_dir()
    assert config.max_batch_size > 0


def test_ensemble_contract() -> None:
    config = load("impression")
    assert config.platform == "ensemble"
    inputs = {i.name: i for i in config.input}
    assert list(inputs) == ["report_text", "radiologist_id", "exam", "patient_sex", "patient_age"]
    assert not inputs["report_text"].optional
    assert all(inputs[n].optional for n in list(inputs)[1:])
    assert all(i.data_type == model_config_pb2.TYPE_STRING for i in config.input)
    assert [o.name for o in config.output] == ["impression", "warnings"]
    assert [s.model_name for s in config.ensemble_scheduling.step] == [
        "preprocess",
        "generator",
        "postprocess",
    ]


def test_ensemble_maps_are_consistent() -> None:
    """Every mapped tensor exists in the step's model; intermediates are '_'-prefixed and
    produced by an earlier step; composing models use UPPERCASE names."""
    ensemble = load("impression")
    available = {i.name for i in ensemble.input}
    for step in ensemble.ensemble_scheduling.step:
        model = load(step.model_name)
        model_inputs = {i.name: i for i in model.input}
        model_outputs = {o.name for o in model.output}
        assert all(name.isupper() for name in list(model_inputs) + list(model_outputs))
        for key, value in step.input_map.items():
            assert key in model_inputs, (step.model_name, key)
            assert value in available, (step.model_name, value)
        required = {n for n, i in model_inputs.items() if not i.optional}
        assert required <= set(step.input_map), step.model_name
        for key, value in step.output_map.items():
            assert key in model_outputs, (step.model_name, key)
            client_facing = value in {o.name for o in ensemble.output}
            assert client_facing or value.startswith("_"), value
            available.add(value)
    assert {o.name for o in ensemble.output} <= available


@pytest.mark.parametrize("model", ["preprocess", "postprocess"])
def test_python_pre_post_models_stay_on_cpu(model: str) -> None:
    config = load(model)
    assert config.backend == "python"
    assert [g.kind for g in config.instance_group] == [model_config_pb2.ModelInstanceGroup.KIND_CPU]


def test_generator_is_dynamically_batched_with_a_bounded_queue() -> None:
    config = load("generator")
    assert config.HasField("dynamic_batching")
    assert config.dynamic_batching.default_queue_policy.max_queue_size > 0
    parameters = {k: v.string_value for k, v in config.parameters.items()}
    assert parameters["engine"] in {"onnxruntime", "torch", "tensorrt"}
