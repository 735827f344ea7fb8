"""What `impressions tune` searches, and the pure logic around it (no server, no load).

A `Candidate` is one serving configuration: instance counts per model, the generator's engine
threads, its dynamic batching (queue delay, preferred sizes), the decoding that changes the text
(precision, beams, candidates), the response cache, and the client protocol. `render_repository`
writes it into a copy of the model repository by editing the committed `config.pbtxt` text; every
edit must match exactly once, so a config whose shape changed fails loudly instead of being left
half-edited (DESIGN.md: templating must fail on leftovers). `pareto_front`, `Objective` and
`quality_gate` decide which trial wins.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PIPELINE = ("preprocess", "generator", "postprocess")
ENSEMBLE = "impression"
# The server flag that gives the response cache its memory (only when a candidate enables it).
CACHE_FLAG = "--cache-config=local,size=67108864"


class TuneError(RuntimeError):
    """A configuration could not be read, rendered or measured."""


# ---------------------------------------------------------------------------------------------
# Candidate and search space


@dataclass(frozen=True)
class Candidate:
    """One serving configuration. Defaults are the committed `model_repository/` ones
    (tests/test_tune_space.py holds them equal to `read_candidate(model_repository)`)."""

    preprocess_instances: int = 1
    generator_instances: int = 1
    postprocess_instances: int = 1
    generator_threads: int = 0  # 0 = the runtime's default (all cores)
    queue_delay_us: int = 0  # generator's max_queue_delay_microseconds
    preferred_batch: tuple[int, ...] = ()  # generator's preferred_batch_size
    precision: str = "fp32"
    num_beams: int = 4
    num_candidates: int = 4
    response_cache: bool = False
    protocol: str = "grpc"  # the client's; not a server setting

    def __post_init__(self) -> None:
        for name in ("preprocess_instances", "generator_instances", "postprocess_instances"):
            if getattr(self, name) < 1:
                raise TuneError(f"{name} must be >= 1")
        if self.precision not in ("fp32", "int8"):
            raise TuneError(f"precision must be fp32 or int8, got {self.precision!r}")
        if not 1 <= self.num_candidates <= self.num_beams <= 8:
            raise TuneError("need 1 <= num_candidates <= num_beams <= 8")
        if self.protocol not in ("grpc", "http"):
            raise TuneError(f"protocol must be grpc or http, got {self.protocol!r}")
        if any(b < 1 or b > 64 for b in self.preferred_batch):
            raise TuneError("preferred batch sizes must be in 1..64 (max_batch_size)")
        if self.generator_threads < 0 or self.queue_delay_us < 0:
            raise TuneError("generator_threads and queue_delay_us must be >= 0")

    @property
    def text_variant(self) -> tuple[str, int, int]:
        """What changes the served text: (precision, beams, candidates)."""
        return (self.precision, self.num_beams, self.num_candidates)

    def key(self) -> str:
        """Canonical identity (the same configuration proposed twice is measured once)."""
        return self.label()

    def label(self) -> str:
        pb = "x".join(str(b) for b in self.preferred_batch) or "-"
        return (
            f"pre{self.preprocess_instances} gen{self.generator_instances}"
            f"t{self.generator_threads or 'D'} post{self.postprocess_instances} "
            f"d{self.queue_delay_us} pb{pb} {self.precision} "
            f"b{self.num_beams}c{self.num_candidates}"
            f"{' cache' if self.response_cache else ''} {self.protocol}"
        )

    def changes_from(self, other: Candidate) -> dict[str, tuple[Any, Any]]:
        """{field: (other's value, this value)} for the fields that differ."""
        return {
            f.name: (getattr(other, f.name), getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        }

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["preferred_batch"] = list(self.preferred_batch)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Candidate:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise TuneError(f"unknown candidate fields: {sorted(unknown)}")
        values = dict(data)
        if "preferred_batch" in values:
            values["preferred_batch"] = tuple(int(b) for b in values["preferred_batch"])
        return cls(**values)


@dataclass(frozen=True)
class Space:
    """The choices per dimension. A dimension with one choice is fixed."""

    preprocess_instances: tuple[int, ...] = (1, 2)
    generator_instances: tuple[int, ...] = (1, 2, 3)
    postprocess_instances: tuple[int, ...] = (1, 2)
    generator_threads: tuple[int, ...] = (0, 1, 2)
    queue_delay_us: tuple[int, ...] = (0, 500, 2000, 5000)
    preferred_batch: tuple[tuple[int, ...], ...] = ((), (4,), (8,), (4, 8))
    precision: tuple[str, ...] = ("fp32", "int8")
    num_beams: tuple[int, ...] = (1, 2, 4)
    num_candidates: tuple[int, ...] = (1, 2, 4)
    response_cache: tuple[bool, ...] = (False,)
    protocol: tuple[str, ...] = ("grpc", "http")

    def dimensions(self) -> dict[str, tuple[Any, ...]]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def size(self) -> int:
        """Distinct valid candidates (candidates <= beams), for the report."""
        dims = self.dimensions()
        decodings = sum(1 for b in dims["num_beams"] for c in dims["num_candidates"] if c <= b)
        rest = math.prod(
            len(v) for k, v in dims.items() if k not in ("num_beams", "num_candidates")
        )
        return rest * decodings

    def fixed(self, **values: Any) -> Space:
        """This space with the named dimensions fixed to one value each."""
        return replace(self, **{k: (v,) for k, v in values.items()})

    def contains(self, candidate: Candidate) -> bool:
        """Whether some choice of this space gives ``candidate``."""
        dims = self.dimensions()
        for name, options in dims.items():
            value = getattr(candidate, name)
            if name == "num_candidates":
                if value not in {min(c, candidate.num_beams) for c in options}:
                    return False
            elif value not in options:
                return False
        return True

    def candidate(self, choice: Mapping[str, Any]) -> Candidate:
        """The candidate for one choice per dimension; candidates are capped at the beams."""
        values = dict(choice)
        values["num_candidates"] = min(values["num_candidates"], values["num_beams"])
        return Candidate(**values)


def parse_fix(items: Iterable[str], space: Space) -> Space:
    """`--fix name=value` options (value parsed like the dimension's choices)."""
    dims = space.dimensions()
    fixed: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in dims:
            raise TuneError(f"--fix {item!r}: expected NAME=VALUE with NAME one of {sorted(dims)}")
        sample = dims[name][0]
        raw = raw.strip()
        if isinstance(sample, bool):
            value: Any = raw.lower() in ("1", "true", "yes", "on")
        elif isinstance(sample, int):
            value = int(raw)
        elif isinstance(sample, tuple):
            value = tuple(int(b) for b in re.split(r"[x,]", raw) if b.strip() and b != "-")
        else:
            value = raw
        fixed[name] = value
    return space.fixed(**fixed)


# ---------------------------------------------------------------------------------------------
# Reading and rendering config.pbtxt

_INSTANCES = re.compile(r"(instance_group\s*\[\s*\{\s*count:\s*)(\d+)(\s*,\s*kind:\s*KIND_\w+)")
_DELAY = re.compile(r"(max_queue_delay_microseconds:\s*)(\d+)")
_PREFERRED = re.compile(r"\n[ \t]*preferred_batch_size:\s*\[[^\]]*\]")


def _param_re(key: str) -> re.Pattern[str]:
    return re.compile(
        r'(\{\s*key:\s*"'
        + re.escape(key)
        + r'"\s+value:\s*\{\s*string_value:\s*")([^"]*)("\s*\}\s*\})'
    )


def _one(pattern: re.Pattern[str], text: str, what: str) -> re.Match[str]:
    matches = list(pattern.finditer(text))
    if len(matches) != 1:
        raise TuneError(f"{what}: expected exactly one match in config.pbtxt, found {len(matches)}")
    return matches[0]


def _sub_one(pattern: re.Pattern[str], text: str, value: str, what: str) -> str:
    match = _one(pattern, text, what)
    return text[: match.start(2)] + value + text[match.end(2) :]


def set_instance_count(text: str, count: int) -> str:
    return _sub_one(_INSTANCES, text, str(count), "instance_group count")


def set_parameter(text: str, key: str, value: str) -> str:
    if '"' in value or "\n" in value:
        raise TuneError(f"parameter {key!r}: value may not hold quotes or newlines")
    return _sub_one(_param_re(key), text, value, f"parameter {key!r}")


def set_dynamic_batching(text: str, delay_us: int, preferred: Sequence[int]) -> str:
    """max_queue_delay_microseconds and preferred_batch_size of the one dynamic_batching block."""
    text = _sub_one(_DELAY, text, str(delay_us), "max_queue_delay_microseconds")
    text = _PREFERRED.sub("", text)
    if preferred:
        match = _one(_DELAY, text, "max_queue_delay_microseconds")
        line_start = text.rfind("\n", 0, match.start()) + 1
        indent = text[line_start : match.start()]
        sizes = ", ".join(str(b) for b in sorted(set(preferred)))
        text = (
            text[:line_start] + f"{indent}preferred_batch_size: [ {sizes} ]\n" + text[line_start:]
        )
    return text


def enable_response_cache(text: str) -> str:
    if "response_cache" in text:
        raise TuneError("config.pbtxt already names response_cache")
    return (
        text.rstrip("\n")
        + "\n\n# impressions tune: cache whole answers\nresponse_cache { enable: true }\n"
    )


def render_configs(configs: Mapping[str, str], candidate: Candidate) -> dict[str, str]:
    """The config texts of ``configs`` ({model: config.pbtxt text}) with ``candidate`` applied."""
    missing = [m for m in (*PIPELINE, ENSEMBLE) if m not in configs]
    if missing:
        raise TuneError(f"model repository lacks {missing}")
    out = dict(configs)
    out["preprocess"] = set_instance_count(out["preprocess"], candidate.preprocess_instances)
    out["postprocess"] = set_instance_count(out["postprocess"], candidate.postprocess_instances)
    gen = set_instance_count(out["generator"], candidate.generator_instances)
    gen = set_parameter(gen, "num_threads", str(candidate.generator_threads or ""))
    gen = set_parameter(gen, "precision", candidate.precision)
    gen = set_parameter(gen, "num_beams", str(candidate.num_beams))
    gen = set_parameter(gen, "num_candidates", str(candidate.num_candidates))
    out["generator"] = set_dynamic_batching(
        gen, candidate.queue_delay_us, candidate.preferred_batch
    )
    if candidate.response_cache:
        out[ENSEMBLE] = enable_response_cache(out[ENSEMBLE])
    return out


def read_configs(repository: Path) -> dict[str, str]:
    """{model: config.pbtxt text} for every model folder of ``repository``."""
    return {
        p.parent.name: p.read_text(encoding="utf-8")
        for p in sorted(Path(repository).glob("*/config.pbtxt"))
    }


def read_candidate(repository: Path) -> Candidate:
    """The candidate a repository's configs describe (the default of a search)."""
    configs = read_configs(repository)

    def count(model: str) -> int:
        return int(_one(_INSTANCES, configs[model], f"{model} instance_group").group(2))

    def param(key: str) -> str:
        return _one(_param_re(key), configs["generator"], f"parameter {key!r}").group(2)

    gen = configs["generator"]
    preferred = re.search(r"preferred_batch_size:\s*\[([^\]]*)\]", gen)
    sizes = tuple(int(b) for b in preferred.group(1).split(",")) if preferred else ()
    return Candidate(
        preprocess_instances=count("preprocess"),
        generator_instances=count("generator"),
        postprocess_instances=count("postprocess"),
        generator_threads=int(param("num_threads") or 0),
        queue_delay_us=int(_one(_DELAY, gen, "generator queue delay").group(2)),
        preferred_batch=sizes,
        precision=param("precision"),
        num_beams=int(param("num_beams")),
        num_candidates=int(param("num_candidates")),
        response_cache="response_cache" in configs[ENSEMBLE],
    )


def render_repository(
    source: Path, dest: Path, candidate: Candidate, *, copy_versions: bool = False
) -> Path:
    """Write ``candidate`` into ``dest``: every model of ``source`` with its rendered config.

    Version folders are symlinked to the source's (fast, for trials) or copied
    (``copy_versions``: a repository that stands on its own, for the chosen configuration).
    """
    source, dest = Path(source).resolve(), Path(dest)
    rendered = render_configs(read_configs(source), candidate)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for model, text in rendered.items():
        (dest / model).mkdir()
        (dest / model / "config.pbtxt").write_text(text, encoding="utf-8")
        for entry in sorted((source / model).iterdir()):
            if entry.name == "config.pbtxt" or entry.name.startswith((".", "__")):
                continue
            target = dest / model / entry.name
            if not copy_versions:
                os.symlink(entry, target, target_is_directory=entry.is_dir())
            elif entry.is_dir():
                shutil.copytree(entry, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(entry, target)
    return dest


# ---------------------------------------------------------------------------------------------
# Measurements, objective, Pareto front


@dataclass(frozen=True)
class Step:
    """perf_analyzer at one concurrency."""

    concurrency: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass
class Trial:
    """One configuration measured (or refused)."""

    number: int
    candidate: Candidate
    steps: dict[int, Step] = field(default_factory=dict)
    load_avg: float = 0.0
    error: str | None = None
    gate: str = "n/a"  # n/a (text unchanged) | held | rejected | not run
    objective: float = math.inf

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.steps)


@dataclass(frozen=True)
class Objective:
    """`p95`: the lowest p95 at `concurrency`. `throughput`: the highest throughput among the
    measured concurrencies whose p95 stays within `p95_budget_ms`. `score` is lower-is-better."""

    kind: str = "p95"
    concurrency: int = 8
    p95_budget_ms: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("p95", "throughput"):
            raise TuneError(f"objective must be p95 or throughput, got {self.kind!r}")
        if self.kind == "throughput" and not self.p95_budget_ms:
            raise TuneError("the throughput objective needs a p95 budget (--p95-budget MS)")

    def score(self, steps: Mapping[int, Step]) -> float:
        if self.kind == "p95":
            step = steps.get(self.concurrency)
            return step.p95_ms if step else math.inf
        within = [s.throughput for s in steps.values() if s.p95_ms <= (self.p95_budget_ms or 0)]
        return -max(within) if within else math.inf

    def describe(self) -> str:
        if self.kind == "p95":
            return f"lowest p95 at concurrency {self.concurrency}"
        return f"highest throughput with p95 <= {self.p95_budget_ms:g} ms"


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points (throughput, p95) no other point beats on both (higher throughput,
    lower p95), ordered by throughput. Equal points are all kept."""
    front = []
    for i, (t_i, p_i) in enumerate(points):
        dominated = any(
            t_j >= t_i and p_j <= p_i and (t_j > t_i or p_j < p_i)
            for j, (t_j, p_j) in enumerate(points)
            if j != i
        )
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])


# ---------------------------------------------------------------------------------------------
# Quality gate


@dataclass(frozen=True)
class Margin:
    """A metric may get worse by at most `allowed` (in its own units) against the default."""

    source: str  # synthetic | iu | handwritten
    metric: str
    higher_is_better: bool
    allowed: float

    @property
    def name(self) -> str:
        return f"{self.source} {self.metric}"


MARGINS = (
    Margin("synthetic", "rougeL", True, 0.02),  # the regression guard of README's closed loop
    Margin("iu", "rougeL", True, 0.01),
    Margin("iu", "key_recall", True, 0.01),
    Margin("iu", "acute_recall", True, 0.01),
    Margin("iu", "false_normal", False, 0),
    Margin("iu", "invented_acute", False, 0),
    Margin("handwritten", "must_pct", True, 1.0),
    Margin("handwritten", "never_violations", False, 0),
    Margin("handwritten", "acute_answered_normal", False, 0),
)


@dataclass(frozen=True)
class GateRow:
    margin: Margin
    default: float | None
    candidate: float | None

    @property
    def loss(self) -> float | None:
        """How much worse the candidate is (positive = worse), in the metric's units."""
        if self.default is None or self.candidate is None:
            return None
        diff = self.candidate - self.default
        return -diff if self.margin.higher_is_better else diff

    @property
    def held(self) -> bool:
        loss = self.loss
        return loss is None or loss <= self.margin.allowed + 1e-9


def quality_gate(
    default: Mapping[str, float],
    candidate: Mapping[str, float],
    margins: Sequence[Margin] = MARGINS,
) -> list[GateRow]:
    """One row per margin whose metric either side measured ({"iu rougeL": 0.342, ...})."""
    rows = []
    for margin in margins:
        if margin.name in default or margin.name in candidate:
            rows.append(GateRow(margin, default.get(margin.name), candidate.get(margin.name)))
    return rows


def gate_held(rows: Sequence[GateRow]) -> bool:
    """Held when every margin holds and both sides were measured on every metric."""
    return bool(rows) and all(r.held and r.loss is not None for r in rows)
