"""Article-level judging: which unit (a law's Điều, or a plan's numbered point) a clause lies in.

Clause-level recall asks for the very clause holding the anchor; a reader who lands on another khoản of
the right article has found the answer too. `ArticleUnits` maps a result to its unit and a judgement to
the unit of the clause that holds its anchor, so the harness can count both.
"""

from __future__ import annotations

from typing import Any

from eval.formats import Judgement
from indexer.kinds import READING_UNIT_KINDS
from indexer.normalise import skeleton

# The units a reader navigates by (the table of clause kinds says which): an article of a law, a numbered
# point ("7.", under Part III) of a plan or resolution. A clause under neither is its own unit.
UNIT_KINDS = READING_UNIT_KINDS


class ArticleUnits:
    """Units of clauses and judgements over one opened index (`search.Searcher`); cached per clause."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self._units: dict[str, str] = {}
        self._judged: dict[tuple[str, str | None], str | None] = {}

    def unit_of(self, clause_id: str) -> str:
        found = self._units.get(clause_id)
        if found is None:
            clause = self.searcher.get_clause(clause_id)
            found = clause_id
            while clause is not None:
                if clause.kind in UNIT_KINDS:
                    found = clause.id
                    break
                clause = self.searcher.get_clause(clause.parent_id) if clause.parent_id else None
            self._units[clause_id] = found
        return found

    def judgement_unit(self, judgement: Judgement) -> str | None:
        """The unit of the deepest clause of the judged document that holds the anchor (None: no clause does)."""
        key = (judgement.doc, judgement.anchor)
        if key not in self._judged:
            document = self.searcher.get_document(judgement.doc)
            unit = None
            if document is not None:
                anchor = skeleton(judgement.anchor) if judgement.anchor else None
                holding = [c for c in document.clauses if anchor is None or anchor in skeleton(c.text)]
                if holding:
                    deepest = max(holding, key=lambda c: len(c.path))  # the first of the deepest
                    unit = self.unit_of(deepest.id)
            self._judged[key] = unit
        return self._judged[key]
