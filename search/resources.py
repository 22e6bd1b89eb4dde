"""Where the query side's rules live as data (`search/data/`): thesauri, glossary, question forms, fact terms."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
