"""Evaluation: labelled queries, judging by anchors, metrics, reports and the regression guard; also
benchmarks (`eval.bench`) and encoder training and selection (`eval.training`).

Imports indexer and search; nothing imports eval but the CLI (`api.cli`).
"""
