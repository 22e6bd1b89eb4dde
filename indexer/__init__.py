"""Files → documents → index directory: load, clean, parse into clauses, normalise, segment, BM25 and vectors.

Imports nothing from search, api or eval; inside, index (build, embed, segment, bm25, manifest) → ingest
(pipeline, parse, references, metadata, clean, repair, load) → text rules and the data model.
"""
