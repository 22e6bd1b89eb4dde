# lexvn — every target runs inside .venv; `make setup` is idempotent.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
INDEX   ?= .lexvn/index
VLC     ?= ../shared/vlc
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup system browser java bench-setup run index serve test test-slow bench eval lint clean

setup: $(STAMP) system

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU torch first, from the local wheel the registry-less machines carry.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# System tools ingestion calls: Tesseract with Vietnamese data (scans), antiword/catdoc (.doc), and the
# DejaVu fonts the scanned-PDF test fixture is typeset in. Installed only when missing.
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-vie antiword catdoc fonts-dejavu-core
system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages: $$missing (apt-get install $$missing)"; fi; fi

# The browser test drives Debian's chromium (nothing downloads a browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: install Debian's chromium package for the browser test"; fi; }

# The Lucene peer in `make bench` runs pyserini 0.22.1's Anserini jar (Java 11+): Debian's OpenJDK 17.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "java missing: install Debian's openjdk-17-jre-headless for the Lucene peer"; fi; }

BENCH_STAMP := $(VENV)/.bench-installed
bench-setup: setup java $(BENCH_STAMP)

$(BENCH_STAMP): pyproject.toml
	$(BIN)/pip install -q -e '.[dev,bench]'
	# pyserini without its declared dependencies: see the `bench` extra in pyproject.toml.
	$(BIN)/pip install -q --no-deps pyserini==0.22.1
	touch $(BENCH_STAMP)

index: setup
	$(BIN)/lexvn index corpus --index $(INDEX)

run: setup
	$(BIN)/lexvn serve --index $(INDEX) --corpus corpus --host 127.0.0.1 --port 8000

serve: run

test: setup browser
	$(BIN)/python -m pytest -q -m "not slow" tests

test-slow: setup
	$(BIN)/python -m pytest -q -m slow tests

# SCALE_LAWS=26 draws the cost curve on the first 26 laws (x1, x2, x4) plus the full VLC index, instead of
# three builds of up to four copies of all 208 laws (hours on 2 cores).
bench: bench-setup
	$(BIN)/python -m eval.bench --vlc $(VLC) --out eval/reports/bench $(if $(SCALE_LAWS),--scale-laws $(SCALE_LAWS))

# The VLC index's dense side uses lexvn-static-vi: MiniLM over its ~122k clauses takes hours on 2 cores
# (measured ~13-57 clauses/s here), the static model about a minute.
eval: setup
	$(BIN)/lexvn eval ../shared/eval/seed_queries.jsonl --corpus corpus --index .lexvn/seed-index --mode all --report eval/reports/latest/seed
	$(BIN)/lexvn eval ../shared/eval/vlc_title_queries.jsonl --corpus $(VLC) --index .lexvn/vlc-index --model lexvn-static-vi --mode all --report eval/reports/latest/vlc
	# The question sets (eval/questions/): dev halves (tuned on) and test halves (reported, never tuned on).
	for half in dev test; do \
	  $(BIN)/lexvn eval eval/questions/seed_crosslingual.$$half.jsonl --corpus corpus --index .lexvn/seed-index --mode all --report eval/reports/latest/seed_crosslingual.$$half && \
	  $(BIN)/lexvn eval eval/questions/vlc_vi.$$half.jsonl --corpus $(VLC) --index .lexvn/vlc-index --model lexvn-static-vi --mode all --report eval/reports/latest/vlc_vi.$$half && \
	  $(BIN)/lexvn eval eval/questions/vlc_en.$$half.jsonl --corpus $(VLC) --index .lexvn/vlc-index --model lexvn-static-vi --mode all --report eval/reports/latest/vlc_en.$$half || exit 1; \
	done
	# Cross-checking: the implementation matrix of 66-NQ/TW in the seed plans, alignment on the labelled
	# seed pairs (report half) and the judged findings on three VLC version pairs, replayed.
	$(BIN)/lexvn coverage --against 000_4c6edb8a98047afa --index .lexvn/seed-index --out eval/reports/coverage
	$(BIN)/lexvn crosscheck-eval --index .lexvn/seed-index --vlc $(VLC) --version-pairs --out eval/reports/crosscheck

# The import contract (pyproject's [tool.importlinter]: layers point one way) and ruff.
lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check indexer search api eval tests

clean:
	rm -rf .lexvn build *.egg-info
