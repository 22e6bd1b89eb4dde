"""The HTTP service (FastAPI app and routers) and the `lexvn` command line.

`api.cli` is the composition root and may import every package; the app and its routers use search and
indexer, never eval.
"""
