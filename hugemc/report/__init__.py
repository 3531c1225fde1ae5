"""Reports: render :class:`~hugemc.result.ScenarioResult` objects.

Each format has its own module (:mod:`.text`, :mod:`.jsonfmt`); they read only
results, never the IR or the search.
"""

from .jsonfmt import load_results, write_json
from .text import render_results, render_trace

__all__ = ["render_results", "render_trace", "write_json", "load_results"]
