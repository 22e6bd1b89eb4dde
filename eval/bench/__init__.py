"""`make bench` (`python -m eval.bench`): speed and memory sections, each measured against a baseline in the run.

Clients of indexer and search (the HTTP load section talks to `lexvn serve` over loopback only); nothing
imports them but encoder selection (throughput) and the CLI.
"""
