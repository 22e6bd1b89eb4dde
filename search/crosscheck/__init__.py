"""Cross-checking two documents: the facts each clause states, clause alignment, typed findings.

May import search and indexer; imported by the API and the CLI, never by search's own modules.
"""
