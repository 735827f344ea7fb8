"""Render the generator's config.pbtxt from the release metadata, strictly.

Why strict both ways: tensorrtllm_backend's fill_template leaves `${...}` behind when a key is
missing; here a placeholder without a value, a value without a placeholder, or any `$` left
over fails the render, and the result must parse as Triton's ModelConfig protobuf.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from release.metadata import ReleaseError, ReleaseSpec

TEMPLATE = Path(__file__).with_name("templates") / "generator.config.pbtxt.tmpl"
_POLICY_LINE = re.compile(r"^version_policy:.*$", re.M)


def template_keys(text: str) -> set[str]:
    """Placeholder names in a template (`${name}` only; a bare `$` is an error)."""
    keys = set()
    for match in Template.pattern.finditer(text):
        if match.group("invalid") is not None or match.group("named") is not None:
            raise ReleaseError(f"template: use ${{name}} placeholders only (at {match.start()})")
        if match.group("braced"):
            keys.add(match.group("braced"))
    return keys


def render_strict(text: str, values: dict[str, str]) -> str:
    """Fill every placeholder; fail on a missing key, an unknown key or a leftover `$`."""
    keys = template_keys(text)
    missing, unknown = sorted(keys - values.keys()), sorted(values.keys() - keys)
    if missing:
        raise ReleaseError(f"template: no value for {', '.join(missing)}")
    if unknown:
        raise ReleaseError(f"template: values with no placeholder: {', '.join(unknown)}")
    rendered = Template(text).substitute(values)
    if "$" in rendered:
        raise ReleaseError("template: a '$' is left after rendering")
    return rendered


def generator_values(spec: ReleaseSpec, triton_version: int, release_file: str) -> dict[str, str]:
    """The template's values, all from the release file (and the version number given)."""
    return {
        "release_file": release_file,
        "release_name": spec.name,
        "release_version": spec.version,
        "triton_version": str(triton_version),
        "max_batch_size": str(spec.max_batch_size),
        "instance_count": str(spec.instances.count),
        "instance_kind": spec.instances.kind,
        "max_queue_size": str(spec.max_queue_size),
        "engine": spec.engine,
        "precision": spec.precision,
        "max_new_tokens": str(spec.max_new_tokens),
        "max_input_tokens": str(spec.max_input_tokens),
        "num_beams": str(spec.num_beams),
        "num_candidates": str(spec.num_candidates),
        "num_threads": str(spec.num_threads),
    }


def parse_config(text: str) -> model_config_pb2.ModelConfig:
    """Parse config.pbtxt text as Triton's ModelConfig (fails on any unknown field)."""
    try:
        return text_format.Parse(text, model_config_pb2.ModelConfig())
    except text_format.ParseError as exc:
        raise ReleaseError(f"rendered config is not a valid Triton ModelConfig: {exc}") from exc


def render_generator_config(spec: ReleaseSpec, triton_version: int, release_file: str) -> str:
    """The generator's config.pbtxt for this release, checked against the protobuf."""
    text = render_strict(
        TEMPLATE.read_text(encoding="utf-8"),
        generator_values(spec, triton_version, release_file),
    )
    config = parse_config(text)
    if list(config.version_policy.specific.versions) != [triton_version]:
        raise ReleaseError("rendered config does not pin the release's version")
    return text


def pin_versions(text: str, versions: list[int]) -> str:
    """config.pbtxt text with its one version_policy line set to `specific` these versions."""
    if len(_POLICY_LINE.findall(text)) != 1:
        raise ReleaseError("config.pbtxt must have exactly one version_policy line to pin")
    listed = ", ".join(str(v) for v in versions)
    line = f"version_policy: {{ specific: {{ versions: [ {listed} ] }} }}"
    pinned = _POLICY_LINE.sub(line, text)
    parsed = parse_config(pinned)
    if list(parsed.version_policy.specific.versions) != versions:
        raise ReleaseError("pinning the version policy did not take")
    return pinned


def served_versions(text: str, on_disk: list[int]) -> list[int]:
    """Which of the versions on disk a config's version_policy serves."""
    policy = parse_config(text).version_policy
    kind = policy.WhichOneof("policy_choice")
    if kind == "specific":
        return sorted(v for v in policy.specific.versions if v in on_disk)
    if kind == "all":
        return sorted(on_disk)
    count = policy.latest.num_versions if kind == "latest" else 1
    return sorted(on_disk)[-count:]
