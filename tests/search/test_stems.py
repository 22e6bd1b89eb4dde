"""English glossary lookups by Snowball stem: the C stemmer (PyStemmer) is what runs, with Porter 2's stems."""

from __future__ import annotations

from search.lexicon import _english_stemmer, stems


def test_english_stems_come_from_the_c_stemmer() -> None:
    # the pure-Python stemmer took 3.5 s to stem the glossary at every cold start
    assert type(_english_stemmer()).__module__ == "Stemmer"
    assert stems(["notarized", "notarization", "selling", "employers"]) == ("notar", "notar", "sell", "employ")
