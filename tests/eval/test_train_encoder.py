"""The encoder trainer: normalising tokenizer, pair mining, hold-out, determinism, and that training learns."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from eval import articles as art
from eval.paths import MODELS_DIR
from eval.training import train_encoder as te
from tests.conftest import VLC

# Four small laws (about 70 kB together) keep a full train run to seconds.
SMALL_LAWS = (
    "Luat-thue-bao-ve-moi-truong-2010-115247.txt",
    "Luat-thue-tai-nguyen-nam-2009-98731.txt",
    "Luat-thue-su-dung-dat-phi-nong-nghiep-2010-108065.txt",
    "Luat-thue-thu-nhap-doanh-nghiep-2008-66935.txt",
)
TINY = te.TrainConfig(seed=7, epochs=8, batch_size=32, learning_rate=0.05, dim=48, vocab_size=1500,
                      min_frequency=2, max_tokens=128)


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not VLC.is_dir():
        pytest.skip("../shared/vlc is not available")
    corpus = tmp_path_factory.mktemp("laws")
    for name in SMALL_LAWS:
        (corpus / name).write_text((VLC / name).read_text(encoding="utf-8"), encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def documents(small_corpus: Path):
    return art.load_documents(small_corpus, progress=False)


@pytest.fixture(scope="module")
def trained(small_corpus: Path, documents, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The same tiny training run twice, into two directories."""
    outs = []
    for run in ("a", "b"):
        out = tmp_path_factory.mktemp(f"model-{run}")
        te.train_encoder(small_corpus, out, TINY, progress=False, documents=documents)
        outs.append(out)
    return outs


def test_tokenizer_normalises_tone_marks_case_and_segmentation() -> None:
    tokenizer = te.train_tokenizer(["hoá học thuý hoàng quý lao động người lao động"] * 20, 300, 1)

    def ids(text: str) -> list[int]:
        return tokenizer.encode(text, add_special_tokens=False).ids

    assert ids("Hóa học") == ids("hoá học")  # old tone placement = new
    assert ids("thúy") == ids("thuý")
    assert ids("hoàng") != ids("hòang")  # closed syllable: only one placement is right, nothing moved
    assert tokenizer.normalizer.normalize_str("quý") == "quý"  # "qu" is the onset: the tone stays on y
    assert ids("lao_động") == ids("lao động")  # underthesea's segmented form
    assert ids("NGƯỜI LAO ĐỘNG, ") == ids("người lao động")


def test_articles_have_titles_bodies_and_clauses(documents) -> None:
    articles = [a for d in documents for a in art.articles_of(d)]
    assert len(articles) > 40
    for article in articles:
        assert article.title and not art.ARTICLE_HEADING.match(article.title)  # "Điều kiện …" is a title
        assert article.heading.startswith("Điều ")
        assert article.body and not article.body.startswith(article.heading)
    assert any(len(a.clauses) > 2 for a in articles)


def test_pairs_cover_each_kind_and_skip_held_out_articles(documents, tmp_path: Path) -> None:
    articles = [a for d in documents for a in art.articles_of(d)]
    target = articles[3]
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "x", "query": unicodedata.normalize("NFD", target.title), "kind": "title",
                                   "relevant": [{"doc": target.doc_id, "anchor": target.body[:40]}]}) + "\n")
    held = art.held_out_titles([queries])
    kept = [a for a in articles if not art.is_held_out(a, held)]
    assert target not in kept and len(kept) == len(articles) - sum(a.title == target.title and a.doc_id ==
                                                                    target.doc_id for a in articles)
    pairs = te.mine_pairs(kept)
    assert {p.kind for p in pairs} >= {"title-body", "title-clause", "heading-clause", "adjacent-khoan"}
    assert all(p.article != target.key and p.positive != target.body for p in pairs)
    negatives = te.add_hard_negatives(pairs)
    owner = {a.key: a for a in kept}
    for pair, negative in zip(pairs, negatives, strict=True):
        assert negative != pair.positive
        assert negative not in owner[pair.article].clauses and negative != owner[pair.article].body


def test_sif_weights_favour_rare_tokens() -> None:
    weights = te.sif_weights([[0, 0, 0, 1], [0, 2]], vocab_size=4, a=0.1)
    # shares: token 0 → 4/6, token 1 and 2 → 1/6, token 3 never seen → weight 1
    assert weights[3] == pytest.approx(1.0)
    assert weights[1] == pytest.approx(weights[2]) == pytest.approx(0.1 / (0.1 + 1 / 6))
    assert weights[0] == pytest.approx(0.1 / (0.1 + 4 / 6)) and weights[0] < weights[1]


def test_dev_title_queries_avoid_the_evaluation_set_and_find_their_article(documents, tmp_path: Path) -> None:
    """`lexvn title-queries` draws known-item queries from articles the evaluation file does not use; each
    anchor lies in the article the title names, and a seed fixes the draw."""
    from eval.formats import read_queries_jsonl
    from eval.title_queries import title_queries, write_queries
    from indexer.normalise import skeleton

    articles = [a for d in documents for a in art.articles_of(d)]
    first = title_queries(documents, (), count=10, seed=3)
    assert len(first) == 10 and first == title_queries(documents, (), count=10, seed=3)
    excluded = tmp_path / "eval.jsonl"
    write_queries(first[:5], excluded)
    second = title_queries(documents, [excluded], count=1000, seed=3)
    taken = {(q["relevant"][0]["doc"], skeleton(q["query"])) for q in first[:5]}
    assert second and not taken & {(q["relevant"][0]["doc"], skeleton(q["query"])) for q in second}
    for query in second:
        judgement = query["relevant"][0]
        owners = [a for a in articles if a.doc_id == judgement["doc"] and a.title == query["query"]]
        assert len(owners) == 1
        assert skeleton(judgement["anchor"]) in skeleton(owners[0].body)
    write_queries(second, tmp_path / "dev.jsonl")
    assert len(read_queries_jsonl(tmp_path / "dev.jsonl")) == len(second)


def test_same_seed_gives_identical_embeddings(trained: list[Path]) -> None:
    from sentence_transformers import SentenceTransformer

    texts = ["Đối tượng chịu thuế", "Người nộp thuế tài nguyên", "thuế suất"]
    first, second = (SentenceTransformer(str(p), device="cpu").encode(texts) for p in trained)
    assert first.shape == (3, TINY.dim)
    assert np.array_equal(first, second)
    assert (trained[0] / "README.md").read_text(encoding="utf-8").count("Held-out set") == 1


def test_trained_model_ranks_an_article_body_above_random_ones_for_its_title(trained, documents) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(trained[0]), device="cpu")
    articles = [a for d in documents for a in art.articles_of(d)]
    rng = random.Random(3)
    sample = rng.sample(articles, 20)
    titles = model.encode([a.title for a in sample], normalize_embeddings=True)
    bodies = model.encode([a.body for a in articles], normalize_embeddings=True)
    wins = 0
    for row, article in enumerate(sample):
        own = articles.index(article)
        others = rng.sample([i for i in range(len(articles)) if i != own], 10)
        scores = bodies @ titles[row]
        wins += all(scores[own] > scores[i] for i in others)
    assert wins >= 16, f"own body beat 10 random bodies for only {wins}/20 titles"



def test_trained_model_declares_vietnamese_for_the_search_stage(trained: list[Path]) -> None:
    assert json.loads((trained[0] / "lexvn_model.json").read_text()) == {"prompts": {}, "languages": ["vi"]}


def test_shipped_model_fits_the_budget_documents_itself_and_loads_by_name() -> None:
    from indexer.embed import model_spec

    shipped = MODELS_DIR / te.SHIPPED_MODEL
    assert sum(p.stat().st_size for p in shipped.rglob("*") if p.is_file()) <= te.MAX_MODEL_BYTES
    card = (shipped / "README.md").read_text(encoding="utf-8")
    for section in ("## Training command", "lexvn train-encoder", "## Data provenance", "## Held-out set", "600"):
        assert section in card
    spec = model_spec(te.SHIPPED_MODEL)
    assert spec.path == shipped and spec.languages == ("vi",)
    model = te.load_encoder(te.SHIPPED_MODEL)
    old, new, other = model.encode(["Thuế tài nguyên hóa thạch", "thuế tài nguyên hoá thạch", "quyền lập hội"])
    assert np.array_equal(old, new) and not np.array_equal(old, other)
