"""A sentence-transformers `StaticEmbedding` model read with numpy and `tokenizers` alone (no torch).

A static model is a token table (`model.safetensors`: `embedding.weight`, vocabulary × dimension) and a
`tokenizers` tokenizer (`tokenizer.json`); a text's vector is the mean of its tokens' rows (what
`torch.nn.EmbeddingBag(mode="mean")` computes; a text without tokens gets zeros), L2-normalised like
sentence-transformers' `normalize_embeddings=True` (`torch.nn.functional.normalize`, eps 1e-12). Loading
it this way costs ~0.1 s instead of the ~4 s of importing sentence-transformers and torch, which is what a
one-off `lexvn search` in hybrid mode would otherwise pay. `tests/indexer/test_static_encoder.py` checks
the vectors against sentence-transformers itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

STATIC_MODULE = "sentence_transformers.sentence_transformer.modules.static_embedding.StaticEmbedding"
STATIC_MODULE_SUFFIX = "StaticEmbedding"  # older sentence-transformers wrote the class under another path
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
WEIGHT_KEY = "embedding.weight"
NORM_EPS = 1e-12  # torch.nn.functional.normalize's default


def is_static_model(path: Path) -> bool:
    """Whether a sentence-transformers model directory is one StaticEmbedding module (and nothing else)."""
    modules_file = Path(path) / "modules.json"
    if not modules_file.is_file():
        return False
    try:
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (len(modules) == 1 and str(modules[0].get("type", "")).endswith(STATIC_MODULE_SUFFIX)
            and modules[0].get("path", "") in ("", ".")
            and (Path(path) / WEIGHTS_FILE).is_file() and (Path(path) / TOKENIZER_FILE).is_file())


class StaticModel:
    """`encode` and `get_embedding_dimension` as sentence-transformers offers them, for a static model."""

    def __init__(self, path: Path | str) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = Path(path)
        weights = load_file(str(path / WEIGHTS_FILE))
        if WEIGHT_KEY not in weights:
            raise ValueError(f"{path / WEIGHTS_FILE} has no {WEIGHT_KEY!r} table (keys: {sorted(weights)})")
        self.table = np.ascontiguousarray(weights[WEIGHT_KEY], dtype=np.float32)
        self.tokenizer = Tokenizer.from_file(str(path / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def get_embedding_dimension(self) -> int:
        return int(self.table.shape[1])

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch(texts, add_special_tokens=False)]

    def encode(self, texts: list[str] | str, batch_size: int = 256, show_progress_bar: bool = False,
               normalize_embeddings: bool = True, **_: Any) -> np.ndarray:
        """One float32 row per text (a single string gives one row too); other keyword arguments of
        sentence-transformers' `encode` (`convert_to_numpy`, …) are accepted: the result is always numpy."""
        if isinstance(texts, str):
            texts = [texts]
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        starts_at = range(0, len(texts), batch_size)
        if show_progress_bar:
            from tqdm import tqdm

            starts_at = tqdm(starts_at, desc="encode", unit="batch")
        for start in starts_at:
            ids = self.token_ids(list(texts[start:start + batch_size]))
            lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
            filled = np.flatnonzero(lengths)  # a text without tokens keeps its zero row
            if not len(filled):
                continue
            flat = np.fromiter((token for row in ids for token in row), dtype=np.int64, count=int(lengths.sum()))
            starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
            sums = np.add.reduceat(self.table[flat], starts, axis=0)
            out[start + filled] = sums / lengths[filled, None].astype(np.float32)
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.maximum(norms, NORM_EPS)
        return out
