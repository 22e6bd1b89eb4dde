"""Encoder training (`lexvn train-encoder`) and encoder selection (`lexvn compare-encoders`, the adoption rule).

Clients of the core (indexer, search) and of the evaluation harness; nothing imports them but the CLI.
"""
