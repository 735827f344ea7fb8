"""Shared by the export parity tests (T5 and BART)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def repoint_eos(checkpoint: Path, generated: list[list[int]], max_new: int) -> int:
    """Make a token that some (not all) of the ``generated`` rows emit the eos, in the config
    and the generation config, so parity covers rows that stop early and rows that do not."""
    counts = Counter(t for row in generated for t in set(row[2:max_new]))
    eos = next(t for t, n in counts.most_common() if 0 < n < len(generated) and t > 2)
    for name in ("config.json", "generation_config.json"):
        path = checkpoint / name
        data = json.loads(path.read_text())
        data["eos_token_id"] = eos
        path.write_text(json.dumps(data))
    return eos
