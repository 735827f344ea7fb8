"""`impressions export`: a seq2seq checkpoint -> the generator bundle in the model repository.

Writes into `<repository>/generator/1/` (contract: docs/CONTRACTS.md): model.onnx,
model.int8.onnx, hf/, tokenizer/ (also copied beside preprocess and postprocess),
generation_config.json and export_manifest.json (written last: a bundle whose manifest matches
its source is complete, which is what `--if-missing` checks). Files are written under temporary
names and moved into place, so a running server never reads half a file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECKPOINT = PROJECT_ROOT / "export" / "checkpoints" / "demo"
TINY_CHECKPOINT = PROJECT_ROOT / "build" / "checkpoints" / "tiny-t5"
DEFAULT_REPOSITORY = PROJECT_ROOT / "model_repository"
PRECISION_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}
MANIFEST = "export_manifest.json"
MANIFEST_FORMAT = 1
# Bump when the exported graph changes meaning (attributes, I/O): --if-missing then re-exports.
EXPORT_RECIPE = 2
DEFAULT_MAX_NEW_TOKENS = 96
# Files of a saved checkpoint the torch engine needs (training state is left behind).
MODEL_FILE_SUFFIXES = (".safetensors", ".safetensors.index.json")
MODEL_FILES = ("config.json", "generation_config.json")
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "spiece.model",
    "chat_template.jinja",
)
TOKENIZER_COPIES = ("generator", "preprocess", "postprocess")


class ExportError(RuntimeError):
    """The checkpoint or the arguments cannot produce a bundle."""


def source_hash(checkpoint: Path) -> str:
    """sha256 over the names and bytes of the checkpoint's top-level files (not subfolders such
    as trainer `checkpoint-*` folders, nor the model card and other Markdown, which do not change
    what is exported: editing the card must not make the exported engines stale)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in checkpoint.iterdir() if p.is_file() and p.suffix != ".md"):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_checkpoint(checkpoint: Path) -> None:
    """Fail early, with the reason, on a folder that is not a saved seq2seq checkpoint."""
    if not checkpoint.is_dir():
        raise ExportError(f"checkpoint folder {checkpoint} does not exist")
    if not (checkpoint / "config.json").exists():
        raise ExportError(f"{checkpoint} has no config.json (not a transformers checkpoint)")
    if not any(p.name.endswith(".safetensors") for p in checkpoint.iterdir()):
        raise ExportError(f"{checkpoint} has no *.safetensors weights")
    if not any((checkpoint / name).exists() for name in ("tokenizer.json", "spiece.model")):
        raise ExportError(f"{checkpoint} has no tokenizer (tokenizer.json or spiece.model)")


def manifest_matches(
    bundle: Path, src_hash: str, precisions: list[str], options: dict | None = None
) -> bool:
    """True when the bundle was exported from this exact checkpoint, by this recipe, with these
    precisions and options."""
    path = bundle / MANIFEST
    if not path.exists():
        return False
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError:
        return False
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("recipe") != EXPORT_RECIPE:
        return False
    if manifest.get("options", {}) != (options or {}):
        return False
    if manifest.get("source", {}).get("sha256") != src_hash:
        return False
    done = manifest.get("precisions", {})
    return all(p in done and (bundle / PRECISION_FILES[p]).exists() for p in precisions)


def _replace_dir(src_files: list[Path], dest: Path) -> None:
    """Copy files into a fresh folder next to dest, then swap it in."""
    tmp = dest.parent / f".{dest.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for path in src_files:
        shutil.copy2(path, tmp / path.name)
    old = dest.parent / f".{dest.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def copy_checkpoint(checkpoint: Path, bundle: Path) -> None:
    """hf/ = config + weights only (what the torch engine loads)."""
    files = [
        p
        for p in checkpoint.iterdir()
        if p.is_file() and (p.name in MODEL_FILES or p.name.endswith(MODEL_FILE_SUFFIXES))
    ]
    _replace_dir(files, bundle / "hf")


def copy_tokenizer(checkpoint: Path, repository: Path) -> list[Path]:
    """tokenizer/ beside generator, preprocess and postprocess (model + tokenizer move together)."""
    from export.tiny_model import fix_tokenizer_class

    files = [checkpoint / n for n in TOKENIZER_FILES if (checkpoint / n).exists()]
    written = []
    for model in TOKENIZER_COPIES:
        dest = repository / model / "1" / "tokenizer"
        dest.parent.mkdir(parents=True, exist_ok=True)
        _replace_dir(files, dest)
        fix_tokenizer_class(dest)
        written.append(dest)
    return written


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def generation_config(checkpoint: Path, spec, max_new_tokens: int | None) -> dict:
    """Ids and defaults the engines read (they never load the HF config)."""
    if max_new_tokens is None:
        saved = checkpoint / "generation_config.json"
        if saved.exists():
            max_new_tokens = json.loads(saved.read_text()).get("max_new_tokens")
    return {
        "decoder_start_token_id": spec.decoder_start_token_id,
        "eos_token_id": spec.eos_token_id,
        "pad_token_id": spec.pad_token_id,
        "vocab_size": spec.vocab_size,
        "max_new_tokens": int(max_new_tokens or DEFAULT_MAX_NEW_TOKENS),
        "decoding": "BeamSearch op: num_beams, num_return_sequences set at run time",
    }


def versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


def sample_inputs(tokenizer_dir: Path, n: int = 8):
    """A few synthetic report-like inputs (never real patient text) for the agreement check."""
    from transformers import AutoTokenizer

    from export.tiny_model import synthetic_text

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    encoded = tokenizer(
        synthetic_text(n, seed=7),
        padding=True,
        truncation=True,
        max_length=256,
        return_tensors="np",
    )
    return encoded["input_ids"], encoded["attention_mask"]


def token_agreement(a: list[list[int]], b: list[list[int]]) -> tuple[float, int]:
    """(share of positions with equal tokens over the longer row, rows exactly equal)."""
    same = total = exact = 0
    for x, y in zip(a, b, strict=True):
        length = max(len(x), len(y), 1)
        same += sum(1 for i in range(min(len(x), len(y))) if x[i] == y[i])
        total += length
        exact += int(x == y)
    return same / total, exact


def report_agreement(bundle: Path, precisions: list[str], max_new_tokens: int) -> None:
    """Print torch-vs-fp32 and fp32-vs-int8 token agreement on a few inputs."""
    from python_models.engines import load_engine

    ids, mask = sample_inputs(bundle / "tokenizer")
    rows = len(ids)
    outputs = {
        "torch": load_engine("torch", bundle, num_threads=2).generate(ids, mask, max_new_tokens)
    }
    for precision in precisions:
        engine = load_engine("onnxruntime", bundle, precision=precision, num_threads=2)
        outputs[precision] = engine.generate(ids, mask, max_new_tokens)
    pairs = [("torch", p) for p in precisions if p == "fp32"]
    if "fp32" in precisions and "int8" in precisions:
        pairs.append(("fp32", "int8"))
    elif "int8" in precisions:
        pairs.append(("torch", "int8"))
    print(f"token agreement on {rows} synthetic inputs, {max_new_tokens} new tokens max:")
    for left, right in pairs:
        share, exact = token_agreement(outputs[left], outputs[right])
        print(f"  {left:>5} vs {right:<5} {share:6.1%} of tokens, {exact}/{rows} rows identical")


def export_bundle(
    checkpoint: Path,
    repository: Path,
    precisions: list[str],
    *,
    if_missing: bool = False,
    max_new_tokens: int | None = None,
    check: bool = True,
) -> Path:
    """Run the whole export; returns the bundle folder."""
    from export.onnx_export import (
        GRAPH_INPUTS,
        GRAPH_OUTPUT,
        decoder_spec,
        export_generation_models,
    )

    check_checkpoint(checkpoint)
    bundle = repository / "generator" / "1"
    src_hash = source_hash(checkpoint)
    options = {"max_new_tokens": max_new_tokens}
    if if_missing and manifest_matches(bundle, src_hash, precisions, options):
        print(f"bundle in {bundle} is up to date with {checkpoint} ({src_hash[:12]}); skipped")
        return bundle
    bundle.mkdir(parents=True, exist_ok=True)
    (bundle / MANIFEST).unlink(missing_ok=True)  # incomplete until rewritten at the end
    for precision, name in PRECISION_FILES.items():
        if precision not in precisions:  # a stale file from another checkpoint must not load
            (bundle / name).unlink(missing_ok=True)

    started = time.perf_counter()
    partials = export_generation_models(checkpoint, bundle, tuple(precisions))
    onnx_seconds = time.perf_counter() - started
    files = {}
    for precision, partial in partials.items():
        final = bundle / PRECISION_FILES[precision]
        os.replace(partial, final)
        files[precision] = {
            "file": final.name,
            "bytes": final.stat().st_size,
            "sha256": file_sha256(final),
        }
        print(f"wrote {final} ({final.stat().st_size / 1e6:.1f} MB)")

    from transformers import AutoConfig

    spec = decoder_spec(AutoConfig.from_pretrained(checkpoint))
    gen_config = generation_config(checkpoint, spec, max_new_tokens)
    write_json(bundle / "generation_config.json", gen_config)
    copy_checkpoint(checkpoint, bundle)
    for dest in copy_tokenizer(checkpoint, repository):
        print(f"wrote {dest}")

    write_json(
        bundle / MANIFEST,
        {
            "format": MANIFEST_FORMAT,
            "recipe": EXPORT_RECIPE,
            "options": options,
            "source": {"path": str(checkpoint), "sha256": src_hash},
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "precisions": files,
            "graph": {
                "inputs": [name for name, _, _ in GRAPH_INPUTS],
                "outputs": [GRAPH_OUTPUT],
                "op": "com.microsoft.BeamSearch (num_beams=1: greedy)",
            },
            "versions": versions(),
            "export_seconds": round(time.perf_counter() - started, 1),
        },
    )
    print(
        f"exported {checkpoint} -> {bundle} in {time.perf_counter() - started:.1f} s "
        f"(ONNX + quantization {onnx_seconds:.1f} s)"
    )
    if check:
        report_agreement(bundle, precisions, min(gen_config["max_new_tokens"], 32))
    return bundle


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="impressions export",
        description="Export a Hugging Face T5-family checkpoint into the generator bundle.",
    )
    parser.add_argument("--checkpoint", type=Path, help=f"default: {DEFAULT_CHECKPOINT}")
    parser.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY)
    parser.add_argument(
        "--precision", nargs="+", choices=sorted(PRECISION_FILES), default=["fp32", "int8"]
    )
    parser.add_argument(
        "--if-missing", action="store_true", help="skip when the bundle matches the checkpoint"
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help=f"build a tiny random-weight T5 into {TINY_CHECKPOINT} and export it (no hub needed)",
    )
    parser.add_argument("--max-new-tokens", type=int, help="default generation length")
    parser.add_argument(
        "--no-check", action="store_true", help="skip the torch/fp32/int8 agreement check"
    )
    return parser


def resolve_checkpoint(args: argparse.Namespace) -> Path:
    if args.tiny and args.checkpoint:
        raise ExportError("pass either --tiny or --checkpoint, not both")
    if args.tiny:
        from export.tiny_model import build_tiny_t5

        if not (TINY_CHECKPOINT / "config.json").exists():
            build_tiny_t5(TINY_CHECKPOINT)
            print(f"built tiny random-weight T5 in {TINY_CHECKPOINT}")
        return TINY_CHECKPOINT
    if args.checkpoint:
        return args.checkpoint
    if DEFAULT_CHECKPOINT.is_dir():
        return DEFAULT_CHECKPOINT
    raise ExportError(
        f"no checkpoint given and the default {DEFAULT_CHECKPOINT} does not exist: pass "
        "--checkpoint DIR (a transformers T5 checkpoint), run `impressions train`, or run "
        "`impressions export --tiny` for a tiny random-weight model"
    )


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.max_new_tokens is not None and args.max_new_tokens < 1:
        print("impressions export: --max-new-tokens must be >= 1", file=sys.stderr)
        return 2
    try:
        checkpoint = resolve_checkpoint(args)
        export_bundle(
            checkpoint.resolve(),
            args.repository.resolve(),
            sorted(set(args.precision)),
            if_missing=args.if_missing,
            max_new_tokens=args.max_new_tokens,
            check=not args.no_check,
        )
    except ExportError as exc:
        print(f"impressions export: {exc}", file=sys.stderr)
        return 2
    return 0
