"""Where evaluation, benchmarks and training find the project's data: one definition of each path."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository
CORPUS_DIR = ROOT / "corpus"
SHARED = ROOT.parent / "shared"  # read-only material beside the checkout (../shared)
VLC_DIR = SHARED / "vlc"
SHARED_EVAL = SHARED / "eval"
SEED_QUERIES = SHARED_EVAL / "seed_queries.jsonl"
VLC_TITLE_QUERIES = SHARED_EVAL / "vlc_title_queries.jsonl"
DEV_TITLE_QUERIES = ROOT / "eval" / "dev" / "vlc_dev_title_queries.jsonl"
# Questions the seeds answer and questions they cannot: the data search/answer.py's confidence rule was set on.
SEED_ANSWER_QUESTIONS = ROOT / "eval" / "dev" / "seed_answer_questions.jsonl"
VLC_ANSWER_QUESTIONS = ROOT / "eval" / "dev" / "vlc_answer_questions.jsonl"  # the same over ../shared/vlc
MODELS_DIR = ROOT / "indexer" / "models"  # where trained encoders are shipped
WORK_DIR = ROOT / ".lexvn"
