"""PyTorch reference engine: Hugging Face `generate` (greedy) on the bundle's `hf/` copy.

Slow but the ground truth the ONNX engine is checked against; torch is imported only here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from python_models.engines.base import (
    CandidateDecoder,
    EngineError,
    GenerationSettings,
    check_batch,
    resolve_max_new_tokens,
    strip_generated,
)


class TorchEngine(CandidateDecoder):
    """transformers AutoModelForSeq2SeqLM.generate(do_sample=False), greedy or beam search
    (early stopping, length penalty 1: the settings the ONNX graph was exported with)."""

    name = "torch"

    def __init__(
        self,
        bundle_dir: Path,
        *,
        precision: str = "fp32",
        device: str = "cpu",
        num_threads: int | None = None,
        num_beams: int = 1,
        num_candidates: int = 1,
    ) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM

        if precision != "fp32":
            raise EngineError("the torch engine runs fp32 only; use engine=onnxruntime for int8")
        self.settings = GenerationSettings.load(bundle_dir)
        hf_dir = Path(bundle_dir) / "hf"
        if not (hf_dir / "config.json").exists():
            raise EngineError(f"{hf_dir} is missing: run `impressions export` first")
        if num_threads:
            torch.set_num_threads(num_threads)
        self.device = torch.device(
            "cuda" if device == "gpu" and torch.cuda.is_available() else "cpu"
        )
        self.model = AutoModelForSeq2SeqLM.from_pretrained(hf_dir).eval().to(self.device)
        self._torch = torch
        self.num_beams = num_beams
        self.num_candidates = num_candidates

    def _decode(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        max_new_tokens: int | None,
        min_new_tokens: int,
    ) -> list[list[list[int]]]:
        torch = self._torch
        input_ids = np.asarray(input_ids)
        attention_mask = np.asarray(attention_mask)
        check_batch(input_ids, attention_mask)
        new_tokens = resolve_max_new_tokens(max_new_tokens, self.settings)
        s = self.settings
        k = self.num_candidates
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=torch.as_tensor(input_ids, dtype=torch.long, device=self.device),
                attention_mask=torch.as_tensor(
                    attention_mask, dtype=torch.long, device=self.device
                ),
                max_new_tokens=new_tokens,
                min_new_tokens=min(max(int(min_new_tokens), 0), new_tokens),
                num_beams=self.num_beams,
                num_return_sequences=k,
                early_stopping=self.num_beams > 1,
                length_penalty=1.0,
                do_sample=False,
                decoder_start_token_id=s.decoder_start_token_id,
                eos_token_id=s.eos_token_id,
                pad_token_id=s.pad_token_id,
            )
        rows = strip_generated(out[:, 1:].cpu().tolist(), s.eos_token_id)
        return [rows[i : i + k] for i in range(0, len(rows), k)]
