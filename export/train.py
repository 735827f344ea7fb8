"""`impressions train`: train the demo tokenizer and a compact T5 from the synthetic corpus.

The model is built from a `T5Config` (no hub weights), seeded, and trained on CPU within a
wall-time budget; the loss curve goes to a CSV so the run can be inspected and compared. The
model sees exactly what the server's preprocess feeds it: the FINDINGS section parsed out of the
rendered report and normalised by `python_models.preprocess.model_input_text`.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import random
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from export.corpus import generate_cases, render_report
from export.tokenizer_train import (
    DEFAULT_VOCAB,
    add_exam_tokens,
    add_placeholder_tokens,
    save_tokenizer,
    train_tokenizer,
)
from python_models.exam_input import tokenizer_reads_exam, with_exam
from python_models.measurement_placeholders import (
    LEVELS,
    MEASUREMENTS,
    SlotKind,
    mask_slots,
    mask_target,
    placeholder_tokens,
    slot_kinds_of,
)

log = logging.getLogger("impressions.train")
DEFAULT_OUT = Path("export/checkpoints/demo")
MAX_SOURCE_TOKENS = 384
MAX_TARGET_TOKENS = 160


def plain_source_text(case: dict[str, Any]) -> str:
    """The normalised FINDINGS of a case, made the way the preprocess model makes them."""
    from python_models.preprocess import model_input_text
    from python_models.sections import parse_sections

    return model_input_text(parse_sections(render_report(case)).findings)


def plain_target_text(case: dict[str, Any]) -> str:
    """The canonical impression on one line ("1. ... 2. ...")."""
    return " ".join(case["impression"].split())


def training_pair(
    case: dict[str, Any],
    reads_exam: bool = False,
    kinds: Sequence[SlotKind] = (MEASUREMENTS,),
) -> tuple[str, str]:
    """(model input, training target): the findings with measurements as ``<nK>`` placeholders
    (and spinal levels as ``<lK>`` for a level-slot tokenizer, ``kinds``), exactly what
    preprocess feeds the model (with the exam in front for an exam-reading one, `training_exam`),
    and the impression with the same slots. The report is rendered and masked once for both."""
    source, values = mask_slots(plain_source_text(case), kinds)
    if reads_exam:
        source = with_exam(source, training_exam(case))
    return source, mask_target(plain_target_text(case), values)


# How callers write an exam the corpus spells one way: contrast shorthand, case, or no exam at
# all (an optional input). Train split only: val and test cases carry the exam as dictated.
_CONTRAST_SHORTHAND = {
    r"\bWITHOUT CONTRAST\b": ("W/O", "WO", "WITHOUT IV CONTRAST", "NONCONTRAST", ""),
    r"\bWITH CONTRAST\b": ("W/", "W CONTRAST", "WITH IV CONTRAST", ""),
    r"\bWITH AND WITHOUT CONTRAST\b": ("W/WO", "W AND WO", ""),
}
NO_EXAM_SHARE = 0.15


def training_exam(case: dict[str, Any]) -> str | None:
    """The exam a case is trained with: as dictated outside the train split; in it, the same
    case always gets the same variant (seeded by its id), with no exam for a share of cases."""
    exam = case["exam"]
    if case.get("split") != "train":
        return exam
    rng = random.Random(f"exam:{case['id']}")
    if rng.random() < NO_EXAM_SHARE:
        return None
    for pattern, shorthands in _CONTRAST_SHORTHAND.items():
        if rng.random() < 0.4:
            exam = re.sub(pattern, rng.choice(shorthands), exam, flags=re.IGNORECASE)
    style = rng.random()
    exam = exam.lower() if style < 0.15 else exam.upper() if style < 0.3 else exam
    return " ".join(exam.split()) or None


def source_text(case: dict[str, Any], reads_exam: bool = False) -> str:
    """The model input of a case (see `training_pair`)."""
    return training_pair(case, reads_exam)[0]


def target_text(case: dict[str, Any]) -> str:
    """The training target of a case (see `training_pair`)."""
    return training_pair(case)[1]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="impressions train", description=__doc__)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="checkpoint directory")
    p.add_argument("--n-train", type=int, default=40000, help="training cases")
    p.add_argument("--n-val", type=int, default=300, help="validation cases (val split)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--dictation",
        type=float,
        default=0.0,
        help="share of train and val cases written as people dictate (export/corpus_dictation.py"
        ", the exams of export/corpus_catalog_more.py); the rest are the plain corpus",
    )
    p.add_argument(
        "--init-from", type=Path, help="continue training this checkpoint (its tokenizer too)"
    )
    p.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--d-ff", type=int, default=1024)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--enc-layers", type=int, default=4)
    p.add_argument("--dec-layers", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--steps", type=int, default=2400, help="optimizer steps (LR schedule)")
    p.add_argument(
        "--max-minutes",
        type=float,
        default=29.0,
        help="stop early and save when the wall time reaches this",
    )
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--precision",
        choices=("bf16", "fp32"),
        default="bf16",
        help="bf16 autocast (fp32 master weights) is ~2x faster on CPUs with avx512_bf16",
    )
    p.add_argument(
        "--read-exam",
        action="store_true",
        help="train the model to read the exam in front of the findings "
        "(python_models/exam_input.py); an --init-from checkpoint gains the marker tokens",
    )
    p.add_argument(
        "--level-slots",
        action="store_true",
        help="train the model to copy spinal levels as slots <l0>.. "
        "(python_models/measurement_placeholders.py LEVELS); an --init-from checkpoint gains them",
    )
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--eval-every", type=int, default=300)
    p.add_argument("--loss-csv", type=Path, default=Path("results/train_loss.csv"))
    return p


def _lr_factor(step: int, warmup: int, total: int, time_fraction: float = 0.0) -> float:
    """Linear warm-up then cosine decay to 5% of the peak. Progress is the larger of the step
    and the wall-time fractions, so a run cut by its time budget still ends annealed."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, max((step - warmup) / max(1, total - warmup), time_fraction))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))


def _batches(
    pairs: list[tuple[list[int], list[int]]], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Index batches of similar source length (less padding), in shuffled order."""
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i][0]), rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def _collate(pairs, idx, torch):  # noqa: ANN001 - torch passed in to keep import lazy
    src = [pairs[i][0] for i in idx]
    tgt = [pairs[i][1] for i in idx]
    ls, lt = max(map(len, src)), max(map(len, tgt))
    input_ids = torch.zeros((len(idx), ls), dtype=torch.long)
    attention = torch.zeros((len(idx), ls), dtype=torch.long)
    labels = torch.full((len(idx), lt), -100, dtype=torch.long)
    for row, (s, t) in enumerate(zip(src, tgt, strict=True)):
        input_ids[row, : len(s)] = torch.tensor(s)
        attention[row, : len(s)] = 1
        labels[row, : len(t)] = torch.tensor(t)
    return input_ids, attention, labels


def seed_slot_embeddings(model, tokenizer, torch, noise: float = 0.1) -> int:  # noqa: ANN001
    """Start each new level slot ``<lK>`` from the embedding of ``<nK>`` (plus a little noise so
    the two kinds can part): the model already copies measurement slots by position, and a
    slot drawn near the mean embedding is not learnt in a CPU-sized run (stage 14 copied no
    level after 1,094 steps). Returns how many were seeded; only slots still at their fresh
    initialisation should be passed through here (called right after a resize)."""
    vocab = tokenizer.get_vocab()
    if not all(t in vocab for t in placeholder_tokens(LEVELS)):
        return 0
    weight = model.get_input_embeddings().weight
    seeded = 0
    with torch.no_grad():
        spread = weight[: len(vocab)].std().item()
        for k in range(LEVELS.count):
            level, measure = vocab[LEVELS.slot(k)], vocab.get(MEASUREMENTS.slot(k))
            if measure is None:
                continue
            weight[level] = weight[measure] + noise * spread * torch.randn_like(weight[measure])
            seeded += 1
    return seeded


def _encode(tokenizer, cases: list[dict[str, Any]]) -> list[tuple[list[int], list[int]]]:
    reads_exam, kinds = tokenizer_reads_exam(tokenizer), slot_kinds_of(tokenizer)
    pairs = [training_pair(case, reads_exam, kinds) for case in cases]
    src = tokenizer([s for s, _ in pairs], truncation=True, max_length=MAX_SOURCE_TOKENS)
    tgt = tokenizer([t for _, t in pairs], truncation=True, max_length=MAX_TARGET_TOKENS)
    return list(zip(src["input_ids"], tgt["input_ids"], strict=True))


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch
    from transformers import GenerationConfig, T5Config, T5ForConditionalGeneration

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    start = time.perf_counter()

    train_cases = generate_cases(args.n_train, args.seed, "train", args.dictation)
    val_cases = generate_cases(args.n_val, args.seed, "val", args.dictation)
    if args.init_from:  # continue training a checkpoint: keep its tokenizer and weights
        from transformers import PreTrainedTokenizerFast

        tokenizer = PreTrainedTokenizerFast.from_pretrained(str(args.init_from))
        added = add_placeholder_tokens(tokenizer)  # a checkpoint from before placeholders
        if added:
            log.info("added %d placeholder tokens to the tokenizer", added)
    else:
        kinds = (MEASUREMENTS, LEVELS) if args.level_slots else (MEASUREMENTS,)
        pairs = [training_pair(case, args.read_exam, kinds) for case in train_cases]
        tok_texts = [s for s, _ in pairs] + [t for _, t in pairs]
        tokenizer = train_tokenizer(tok_texts, vocab_size=args.vocab_size)
    if args.level_slots:
        added = add_placeholder_tokens(tokenizer, LEVELS)
        if added:
            log.info("added %d spinal-level slot tokens to the tokenizer", added)
    if args.read_exam:
        added = add_exam_tokens(tokenizer)
        if added:
            log.info("added %d exam marker tokens to the tokenizer", added)
    save_tokenizer(tokenizer, args.out)
    train = _encode(tokenizer, train_cases)
    val = _encode(tokenizer, val_cases)
    src_lens = sorted(len(s) for s, _ in train)
    tgt_lens = sorted(len(t) for _, t in train)
    log.info(
        "data: %d train, %d val; source tokens p50=%d max=%d; target p50=%d max=%d; "
        "vocab=%d; prep %.1fs",
        len(train),
        len(val),
        src_lens[len(src_lens) // 2],
        src_lens[-1],
        tgt_lens[len(tgt_lens) // 2],
        tgt_lens[-1],
        len(tokenizer),
        time.perf_counter() - start,
    )

    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=args.d_model,
        d_kv=args.d_model // args.heads,
        d_ff=args.d_ff,
        num_layers=args.enc_layers,
        num_decoder_layers=args.dec_layers,
        num_heads=args.heads,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        dropout_rate=0.0,
        feed_forward_proj="relu",
        tie_word_embeddings=True,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    if args.init_from:
        model = T5ForConditionalGeneration.from_pretrained(str(args.init_from))
        if model.get_input_embeddings().num_embeddings < len(tokenizer):
            model.resize_token_embeddings(len(tokenizer))
            seeded = seed_slot_embeddings(model, tokenizer, torch)
            if seeded:
                log.info("%d new slot tokens start from the measurement slots' embeddings", seeded)
    else:
        model = T5ForConditionalGeneration(config)
    n_params = sum(p.numel() for p in model.parameters())
    log.info("model: %.2fM parameters", n_params / 1e6)
    optim = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    budget_s = args.max_minutes * 60

    args.loss_csv.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    step, window = 0, []
    deadline = start + args.max_minutes * 60
    stopped = "steps"
    model.train()
    while step < args.steps:
        for idx in _batches(train, args.batch_size, rng):
            input_ids, attention, labels = _collate(train, idx, torch)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
                loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
            lr = args.lr * _lr_factor(
                step, args.warmup, args.steps, (time.perf_counter() - start) / budget_s
            )
            for group in optim.param_groups:
                group["lr"] = lr
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            step += 1
            window.append(loss.item())
            row: dict[str, Any] | None = None
            if step % args.log_every == 0:
                row = {
                    "step": step,
                    "elapsed_s": round(time.perf_counter() - start, 1),
                    "lr": f"{lr:.6f}",
                    "train_loss": round(sum(window) / len(window), 4),
                    "val_loss": "",
                }
                window = []
            if step % args.eval_every == 0 or step == args.steps:
                row = row or {
                    "step": step,
                    "elapsed_s": round(time.perf_counter() - start, 1),
                    "lr": f"{lr:.6f}",
                    "train_loss": "",
                }
                row["val_loss"] = round(_val_loss(model, val, torch), 4)
            if row:
                rows.append(row)
                _write_csv(args.loss_csv, rows)
                log.info("step %d %s", step, {k: v for k, v in row.items() if k != "step"})
            if step >= args.steps:
                break
            if time.perf_counter() > deadline:
                stopped = "time"
                break
        if stopped == "time":
            break

    if not rows or rows[-1].get("val_loss") in ("", None):
        rows.append(
            {
                "step": step,
                "elapsed_s": round(time.perf_counter() - start, 1),
                "lr": f"{lr:.6f}",
                "train_loss": "",
                "val_loss": round(_val_loss(model, val, torch), 4),
            }
        )
        _write_csv(args.loss_csv, rows)
    model.eval()
    model.generation_config = GenerationConfig(
        decoder_start_token_id=0,
        eos_token_id=1,
        pad_token_id=0,
        max_new_tokens=MAX_TARGET_TOKENS,
        num_beams=1,
        do_sample=False,
    )
    model.save_pretrained(str(args.out))
    save_tokenizer(tokenizer, args.out)
    wall = time.perf_counter() - start
    summary = {
        "command": "impressions train " + " ".join(argv),
        "steps": step,
        "stopped_by": stopped,
        "wall_time_s": round(wall, 1),
        "parameters": n_params,
        "n_train": args.n_train,
        "seed": args.seed,
        "final_val_loss": rows[-1]["val_loss"],
        "threads": args.threads,
        "precision": args.precision,
        "torch": torch.__version__,
    }
    (args.out / "training_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log.info("done: %s", summary)
    print(json.dumps(summary), file=sys.stdout)
    return 0


def _val_loss(model, val, torch) -> float:  # noqa: ANN001
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(val), 64):
            idx = list(range(i, min(i + 64, len(val))))
            input_ids, attention, labels = _collate(val, idx, torch)
            loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
            n = int((labels != -100).sum())
            total += loss.item() * n
            count += n
    model.train()
    return total / max(1, count)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["step", "elapsed_s", "lr", "train_loss", "val_loss"]
        )
        writer.writeheader()
        writer.writerows(rows)
