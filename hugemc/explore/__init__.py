"""Explorers: exhaustive search over a compiled :class:`~hugemc.backend.Model`.

:mod:`.bfs` (shortest counterexamples) and :mod:`.dfs` (less memory) share
:class:`.common.Search`, which records violations as paths of states;
:mod:`.trace` turns those paths into readable, replayed traces.
"""

from .bfs import bfs
from .common import Limits, Progress, SearchResult
from .dfs import dfs

__all__ = ["bfs", "dfs", "Limits", "Progress", "SearchResult"]
