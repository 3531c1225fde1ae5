"""Checking many scenarios, in parallel over the machine's cores.

Each scenario is checked in a worker process (``--jobs N``); results come
back in the order the scenarios were given. A scenario whose check raises
(a bug in hugemc) becomes a result with verdict ``error`` that says so.
"""

from __future__ import annotations

import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .check import CheckOptions, check_scenario, error_result
from .diagnostics import HugemcError, SourceLoc
from .progress import LineProgress, init_worker, interrupted
from .result import ScenarioResult, Stats


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def not_started(path: Path) -> ScenarioResult:
    """The result of a scenario that Ctrl-C stopped before its search began (verdict ``incomplete``)."""
    from .check import display_path
    return ScenarioResult(name=path.stem, file=display_path(path), verdict="incomplete", expected=None, ok=False,
                          stats=Stats(complete=False, limit="interrupted"),
                          problems=["search cut short by an interrupt (Ctrl-C) before it began: not checked"])


def check_one(path: Path, opt: CheckOptions, progress=None) -> ScenarioResult:
    """Check one scenario; an internal error becomes an ``error`` result, not an exception."""
    if interrupted():
        return not_started(path)
    try:
        return check_scenario(path, opt, progress)
    except MemoryError:  # before the scenario was read, or while a result was built: no traceback to format
        pass
    except Exception as e:  # a bug in hugemc, not the user's mistake: say so
        err = HugemcError(f"internal error while checking this scenario: {type(e).__name__}: {e}",
                          SourceLoc(str(path)), hint="this is a bug in hugemc; please report it with the "
                          "scenario and this output:\n" + traceback.format_exc())
        return error_result(path, err)
    from .check import out_of_memory_result
    limit = opt.max_memory if opt.max_memory is not None else dict(opt.suite_defaults).get("max_memory")
    return out_of_memory_result(Path(path), Path(path).stem, "checking this scenario", limit, time.monotonic())


def _worker(args):
    path, opt, every = args
    return check_one(path, opt, LineProgress(Path(path).stem, every) if every else None)


def check_many(work: list[tuple[Path, CheckOptions]], jobs: int, progress_for=None,
               progress_every: float | None = None) -> list[ScenarioResult]:
    """Check scenarios, ``jobs`` at a time (1: in this process, with ``progress_for(path)``'s display).

    With several jobs at once, each worker prints a progress line, prefixed
    with its scenario's name, every ``progress_every`` seconds (None: none).
    """
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
    with ProcessPoolExecutor(max_workers=min(jobs, len(work)), initializer=init_worker) as pool:
        return list(pool.map(_worker, [(p, o, progress_every) for p, o in work]))
