"""Importing a package with some of its optional dependencies hidden from it (cold start: bm25s without
numba and scipy, underthesea without its translation and other pipelines).

A None entry in `sys.modules` makes an import of that name fail as "not installed", which such packages
answer by leaving the feature off; the entries are removed right after, so a later explicit import of
those modules still works.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from types import ModuleType


def import_hiding(package: str, optional: Iterable[str]) -> ModuleType:
    """`package`, imported (once) with the `optional` modules not yet loaded hidden from it."""
    if package in sys.modules:
        return sys.modules[package]
    hidden = [name for name in optional if name not in sys.modules]
    sys.modules.update(dict.fromkeys(hidden))
    try:
        # __import__, as an import statement does: the hidden names' failed look-ups then count under the
        # package in `-X importtime` (the cold-start benchmark's and its test's reading), not as imports of
        # their own, which importlib.import_module makes them
        __import__(package)
        return sys.modules[package]
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
