"""Training pairs: their type, and the pairs for questions and across languages, made from the corpus with
the query side's own tables.

The structural pairs (`train_encoder.mine_pairs`) teach the encoder that a title belongs with its body. A
question differs from a title in its words: people say "sếp", "đuổi việc", "sổ đỏ" where the law says
"người sử dụng lao động", "sa thải", "giấy chứng nhận quyền sử dụng đất", and an English speaker says
"employer". These pairs rewrite a title or a clause with those words and pair the rewrite with the
original clause, so the everyday word and the English term learn the statutory word's place:

- everyday-title / everyday-clause: the thesaurus read backwards (statutory → everyday);
- english-title / english-clause: code-switched text, the glossary's Vietnamese terms replaced by their
  English (so an English question lands near the Vietnamese clause);
- glossary-term: an English term with its Vietnamese term.

Nothing here reads an evaluation file: the thesaurus and glossary were written from the laws, not from
the questions, and articles held out of training stay held out.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from eval.articles import Article
from search.lexicon import Lexicon, PhraseTable, Target, words_of

MAX_PER_KIND = 20_000


@dataclass(frozen=True, slots=True)
class TrainingPair:
    anchor: str
    positive: str
    kind: str  # title-body | title-clause | heading-clause | adjacent-khoan | chapter-title
    article: str  # Article.key, so a hard negative never comes from the same article


def reverse_thesaurus(lexicon: Lexicon) -> PhraseTable:
    """Statutory phrase → the everyday phrases people use for it."""
    table = PhraseTable("vi")
    forward = lexicon.thesaurus["vi"]
    for everyday in forward.phrases():
        phrase = " ".join(everyday)
        for target in forward.get(phrase):
            table.add(target.text, [Target(phrase, target.weight)])
    return table


def rewrite(text: str, table: PhraseTable, rng: random.Random) -> str | None:
    """`text` with every phrase the table knows replaced by one of its targets (None when none matched)."""
    words = words_of(text, "vi")
    matches = table.find(words)
    if not matches:
        return None
    out, cursor = [], 0
    for match in matches:
        out.extend(words[cursor : match.start])
        out.append(rng.choice(match.targets).text)
        cursor = match.end
    out.extend(words[cursor:])
    return " ".join(out)


def lexicon_pairs(articles: Sequence[Article], lexicon: Lexicon, seed: int,
                  per_kind: int = MAX_PER_KIND) -> list[TrainingPair]:
    rng = random.Random(seed)
    everyday = reverse_thesaurus(lexicon)
    english = lexicon.glossary.vi_to_en
    found: dict[str, list[TrainingPair]] = {kind: [] for kind in
                                            ("everyday-title", "everyday-clause", "english-title", "english-clause")}
    for article in articles:
        first = article.clauses[0] if article.clauses else article.body
        for kind, table in (("everyday", everyday), ("english", english)):
            title = rewrite(article.title, table, rng)
            if title:
                found[f"{kind}-title"].append(TrainingPair(title, first, f"{kind}-title", article.key))
            for clause in article.clauses[:3]:
                rewritten = rewrite(clause, table, rng)
                if rewritten and rewritten != clause:
                    found[f"{kind}-clause"].append(TrainingPair(rewritten, clause, f"{kind}-clause", article.key))
    pairs = [pair for kind in found for pair in _sample(found[kind], per_kind, rng)]
    for number, phrase in enumerate(lexicon.glossary.en_to_vi.phrases()):
        english_term = " ".join(phrase)
        targets = lexicon.glossary.en_to_vi.get(english_term)
        if targets:
            pairs.append(TrainingPair(english_term, targets[0].text, "glossary-term", f"glossary:{number}"))
    return pairs


def _sample(pairs: list[TrainingPair], limit: int, rng: random.Random) -> list[TrainingPair]:
    return pairs if len(pairs) <= limit else rng.sample(pairs, limit)


def tokenizer_texts(pairs: Sequence[TrainingPair]) -> list[str]:
    """Texts that put the English and everyday pieces into the tokenizer's vocabulary (code-switched anchors,
    terms; each written question once, however often it is trained on)."""
    return [pair.anchor for pair in pairs if pair.kind.startswith("english") or pair.kind == "glossary-term"] + \
        sorted({pair.anchor for pair in pairs if pair.kind.startswith("question-")})
