"""Checking many scenarios, in parallel over the machine's cores.

Each scenario is checked in a worker process (``--jobs N``); results come
back in the order the scenarios were given. A scenario whose check raises
(a bug in hugemc) becomes a result with verdict ``error`` that says so.
"""

from __future__ import annotations

import os
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .check import CheckOptions, check_scenario, error_result
from .diagnostics import HugemcError, SourceLoc
from .result import ScenarioResult


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def check_one(path: Path, opt: CheckOptions, progress=None) -> ScenarioResult:
    """Check one scenario; an internal error becomes an ``error`` result, not an exception."""
    try:
        return check_scenario(path, opt, progress)
    except Exception as e:  # a bug in hugemc, not the user's mistake: say so
        err = HugemcError(f"internal error while checking this scenario: {type(e).__name__}: {e}",
                          SourceLoc(str(path)), hint="this is a bug in hugemc; please report it with the "
                          "scenario and this output:\n" + traceback.format_exc())
        return error_result(path, err)


def _worker(args):
    path, opt = args
    return check_one(path, opt)


def check_many(work: list[tuple[Path, CheckOptions]], jobs: int, progress_for=None) -> list[ScenarioResult]:
    """Check scenarios, ``jobs`` at a time (1: in this process, with progress display)."""
    if jobs <= 1 or len(work) <= 1:
        out = []
        for path, opt in work:
            prog = progress_for(path) if progress_for else None
            try:
                out.append(check_one(path, opt, prog))
            finally:
                if prog is not None:
                    prog.close()
        return out
    with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as pool:
        return list(pool.map(_worker, work))
