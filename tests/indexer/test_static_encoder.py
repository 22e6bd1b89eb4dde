"""The numpy reading of a StaticEmbedding model gives sentence-transformers' vectors, without torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from tests.conftest import CORPUS, ROOT

MODEL = ROOT / "indexer" / "models" / "lexvn-static-vi"


def sample_texts() -> list[str]:
    """Lines of the seed corpus (Vietnamese, English, broken glyphs, tables) and edge cases."""
    lines = [line.strip() for path in sorted(CORPUS.rglob("*.txt")) + sorted(CORPUS.rglob("*.md"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    sample = lines[::7][:300]
    long_text = "\n".join(lines[:200])
    return sample + [long_text, "", "   ", "_", "0,5% tổng chi ngân sách", "HOÁ hoá hóa thuỷ thủy", "🙂", "x" * 500]


def test_static_model_matches_sentence_transformers_within_1e_5():
    from sentence_transformers import SentenceTransformer

    from indexer.static_encoder import StaticModel, is_static_model

    assert is_static_model(MODEL)
    texts = sample_texts()
    ours = StaticModel(MODEL).encode(texts, batch_size=64)
    theirs = SentenceTransformer(str(MODEL), device="cpu").encode(texts, normalize_embeddings=True,
                                                                   convert_to_numpy=True)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    assert float(np.abs(ours - theirs).max()) < 1e-5
    assert not ours[texts.index("")].any()  # a text without tokens is the zero vector, as EmbeddingBag gives


def test_encoder_reads_a_static_model_without_sentence_transformers_or_torch():
    code = (
        "import json, sys\n"
        "from indexer.embed import Encoder\n"
        "encoder = Encoder('lexvn-static-vi')\n"
        "query = encoder.encode_query('Kiểm tra hàng hoá trước khi giao hàng', 'vi')\n"
        "passages = encoder.encode_passages(['Điều 1. Phạm vi điều chỉnh', 'khoản 2'])\n"
        "print(json.dumps({'dimension': encoder.dimension, 'query': query.shape, 'passages': passages.shape,\n"
        "                  'loaded': sorted(m for m in ('torch', 'sentence_transformers', 'transformers')\n"
        "                                   if m in sys.modules)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"dimension": 256, "query": [1, 256], "passages": [2, 256], "loaded": []}


def test_models_that_are_not_one_static_module_keep_sentence_transformers(tmp_path):
    from indexer.static_encoder import is_static_model

    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    assert not is_static_model(tmp_path)
    assert not is_static_model(tmp_path / "missing")
