"""Lexical terms: syllables + compounds + underthesea words, and the segmentation cache."""

from __future__ import annotations

import gzip

from indexer.normalise import normalise
from indexer.segment import (
    CACHE_FILE,
    SegmentCache,
    compounds,
    detect_language,
    lexical_terms,
    query_terms,
    segment_texts,
    syllables,
    text_key,
)


def test_syllables_are_lowercased_alphanumeric_runs():
    assert syllables("Ngân sách, 0.5% QĐ/TW") == ["ngân", "sách", "0", "5", "qđ", "tw"]


def test_compounds_keep_numbers_and_document_numbers_whole():
    found = compounds("không thấp hơn 0.5% tổng chi; quy định số 178-qđ/tw ngày 05/6/2024; law-making")
    assert "0.5%" in found
    assert "178-qđ/tw" in found
    assert "05/6/2024" in found
    assert "law-making" in found


def test_vietnamese_terms_contain_words_and_syllables():
    text = normalise("Bảo đảm chi ngân sách hàng năm", "vi")
    words = SegmentCache().segment_many([text])[0]
    terms = lexical_terms(text, words)
    assert {"ngân", "sách", "ngân_sách"} <= set(terms)


def test_number_formats_give_the_same_terms_after_normalisation():
    comma = query_terms(normalise("0,5% tổng chi", "vi"), "vi")
    dot = query_terms(normalise("0.5% tổng chi", "vi"), "vi")
    assert comma == dot
    assert "0.5%" in comma


def test_tone_mark_placement_gives_the_same_terms():
    assert query_terms(normalise("hệ thống hoá", "vi"), "vi") == query_terms(normalise("hệ thống hóa", "vi"), "vi")


def test_english_text_is_not_segmented():
    terms = query_terms(normalise("spending on law-making", "en"), "en")
    assert terms == ["spending", "on", "law-making"]  # a hyphenated compound is one query term


def test_language_detection():
    assert detect_language("kinh phí xây dựng pháp luật") == "vi"
    assert detect_language("public lawyer institution") == "en"
    # Vietnamese typed without marks, or words that need none, is still Vietnamese; codes don't decide.
    assert detect_language("Cho vay") == "vi"
    assert detect_language("bao ve moi truong") == "vi"
    assert detect_language("nghi quyet 57-NQ/TW") == "vi"
    assert detect_language("the state budget") == "en"
    assert detect_language("Law on Science, Technology and Innovation") == "en"


def test_cache_segments_once_and_round_trips(tmp_path):
    cache = SegmentCache()
    texts = ["xây dựng pháp luật", "ngân sách nhà nước", "xây dựng pháp luật"]
    first = cache.segment_many(texts)
    assert cache.misses == 2 and cache.hits == 1
    assert first[0] == first[2]
    path = tmp_path / CACHE_FILE
    cache.save(path)
    reloaded = SegmentCache.load(path)
    assert set(reloaded.entries) == {text_key(t) for t in texts}
    again = reloaded.segment_many(texts)
    assert again == first
    assert reloaded.misses == 0 and reloaded.hits == 3


def test_cache_entries_appended_to_a_copied_file_read_back_with_the_old_ones(tmp_path):
    """An incremental build copies the previous cache file and appends only what it segmented anew: a
    gzip member after the first, read as one stream."""
    path = tmp_path / CACHE_FILE
    old = SegmentCache()
    old.segment_many(["xây dựng pháp luật"])
    old.save(path)
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip
    cache = SegmentCache.load(path)
    known = set(cache.entries)
    cache.segment_many(["xây dựng pháp luật", "ngân sách nhà nước"])
    cache.append_new(path, known)
    reloaded = SegmentCache.load(path)
    assert reloaded.entries == cache.entries and len(reloaded.entries) == 2
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        assert len(handle.read().splitlines()) == 2  # the known entry was not written again


def test_the_cache_keeps_the_words_that_become_terms_and_gives_the_same_terms(tmp_path):
    """Single syllables are terms whatever the segmentation: the cache keeps only multi-syllable words, and
    the terms from cached words are the terms from underthesea's own."""
    texts = [normalise(text, "vi") for text in SEGMENT_SAMPLE]
    cache = SegmentCache()
    cached = cache.segment_many(texts)
    cache.save(tmp_path / CACHE_FILE)
    reloaded = SegmentCache.load(tmp_path / CACHE_FILE).segment_many(texts)
    for text, words, full, again in zip(texts, cached, segment_texts(texts, workers=1), reloaded, strict=True):
        assert words and all(" " in word for word in words) and len(words) < len(full)
        assert lexical_terms(text, words) == lexical_terms(text, full) == lexical_terms(text, again)


def test_cache_keeps_only_used_entries(tmp_path):
    cache = SegmentCache({"stale": ["x"]})
    cache.segment_many(["pháp luật"])
    cache.save(tmp_path / CACHE_FILE)
    assert "stale" not in SegmentCache.load(tmp_path / CACHE_FILE).entries


SEGMENT_SAMPLE = [
    "Bảo đảm chi cho công tác xây dựng pháp luật không thấp hơn 0,5% tổng chi ngân sách hàng năm",
    "Doanh nghiệp nhà nước là doanh nghiệp do Nhà nước nắm giữ trên 50% vốn điều lệ",
    "Người lao động có quyền đơn phương chấm dứt hợp đồng lao động",
    "Kiểm tra hàng hoá trước khi giao hàng",
]


def _run(code: str) -> str:
    import subprocess
    import sys

    from tests.conftest import ROOT

    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip().splitlines()[-1]


def test_lexvn_segmenter_loads_no_optional_underthesea_pipeline_and_segments_as_underthesea_does():
    import json

    theirs = _run(f"import json\nfrom underthesea import word_tokenize\n"
                  f"print(json.dumps([word_tokenize(t) for t in {SEGMENT_SAMPLE!r}]))")
    ours = _run("import json, sys\nfrom indexer.segment import segment_texts\n"
                f"words = segment_texts({SEGMENT_SAMPLE!r}, workers=1)\n"
                "print(json.dumps([words, [m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules]]))")
    words, heavy = json.loads(ours)
    assert words == json.loads(theirs)
    assert heavy == []


def test_optional_underthesea_pipelines_stay_importable_after_lexvn_loaded_it():
    from indexer.segment import UNDERTHESEA_OPTIONAL

    out = _run("import importlib, sys\nfrom indexer.segment import import_underthesea\nimport_underthesea()\n"
               f"print(all(sys.modules.get(name, 1) is not None for name in {UNDERTHESEA_OPTIONAL!r}))")
    assert out == "True"
