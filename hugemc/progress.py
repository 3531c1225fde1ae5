"""Talking during long runs, and stopping them cleanly.

- :class:`LineProgress`: when standard error is not a terminal (CI logs,
  pipes), one plain line about every 10 seconds per scenario, as TLC does:
  elapsed time, states, transitions, depth, the queue (BFS: states found but
  not expanded yet; DFS: the stack), states per second and memory. The
  interval can be changed with the environment variable
  ``HUGEMC_PROGRESS_INTERVAL`` (seconds; the tests use a fraction of one).
- Ctrl-C (SIGINT): :func:`install_interrupt_handler` makes the first one set
  a flag that every search polls (:func:`interrupted`), so the search stops
  at its next check with the limit ``interrupted`` and the result says
  ``incomplete`` (never ``holds``); the reports are then written as usual. A
  second Ctrl-C stops at once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time

INTERVAL_ENV = "HUGEMC_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 10.0

_interrupted = False


def interval() -> float:
    """Seconds between progress lines: ``$HUGEMC_PROGRESS_INTERVAL``, else 10."""
    try:
        v = float(os.environ.get(INTERVAL_ENV, ""))
        return v if v > 0 else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL


def interrupted() -> bool:
    """Whether Ctrl-C asked the searches to stop."""
    return _interrupted


def set_interrupted(value: bool = True) -> None:
    global _interrupted
    _interrupted = value


def _on_sigint_main(signum, frame) -> None:
    set_interrupted()
    # the check's worker processes may not have been sent the signal (kill -INT PID): pass it on
    for child in multiprocessing.active_children():
        try:
            os.kill(child.pid, signal.SIGINT)
        except OSError:
            pass
    try:  # os.write, not sys.stderr: the handler may run in the middle of a write to sys.stderr
        os.write(2, b"\ninterrupted: stopping the search; press Ctrl-C again to quit at once\n")
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C: KeyboardInterrupt


def _on_sigint_worker(signum, frame) -> None:
    set_interrupted()


def install_interrupt_handler():
    """In the ``hugemc check`` process: the first Ctrl-C stops the searches cleanly.

    Returns the handler it replaced (for :func:`restore_interrupt_handler`);
    does nothing outside the main thread, where Python cannot set one.
    """
    set_interrupted(False)
    try:
        return signal.signal(signal.SIGINT, _on_sigint_main)
    except ValueError:  # not the main thread
        return None


def restore_interrupt_handler(previous) -> None:
    """Put back the handler :func:`install_interrupt_handler` replaced."""
    if previous is not None:
        try:
            signal.signal(signal.SIGINT, previous)
        except ValueError:  # pragma: no cover - not the main thread
            pass


def init_worker() -> None:
    """In a worker process of ``--jobs``: Ctrl-C stops its search cleanly (every time)."""
    set_interrupted(False)
    signal.signal(signal.SIGINT, _on_sigint_worker)


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def progress_line(name: str, states: int, transitions: int, depth: int, seconds: float,
                  queue: int | None = None, rss: int | None = None, detail: str | None = None) -> str:
    """One line of progress, e.g. ``progress big: 20 s, 1,234,567 states, ...``.

    ``detail``: what an engine adds at the end (``--engine ray``: the level,
    the frontier, the states per shard and their imbalance).
    """
    from .explore.common import rss_bytes
    rss = rss_bytes() if rss is None else rss
    rate = states / seconds if seconds > 0 else 0.0
    q = "" if queue is None else f", queue {queue:,}"
    return (f"progress {name}: {seconds:.0f} s, {states:,} states, {transitions:,} transitions, "
            f"depth {depth}{q}, {rate:,.0f} states/s, {fmt_bytes(rss)}" + (f"; {detail}" if detail else ""))


class LineProgress:
    """A plain progress line on standard error every :func:`interval` seconds (for logs and pipes),
    wrapped to ``width`` columns (continuation lines indented by four spaces)."""

    def __init__(self, name: str, every: float | None = None, stream=None, width: int = 80) -> None:
        self.name = name
        self.width = width  # wrapped to this: a log is often 80 columns
        self.every = interval() if every is None else every
        self.stream = stream
        self.next = self.every
        self.t0 = time.monotonic()

    def __call__(self, states: int, transitions: int, depth: int, seconds: float, queue: int | None = None,
                 detail: str | None = None) -> None:
        if seconds < self.next:
            return
        while self.next <= seconds:
            self.next += self.every
        try:
            out = self.stream or sys.stderr
            from .wrap import wrap
            line = progress_line(self.name, states, transitions, depth, seconds, queue, detail=detail)
            out.write("\n".join(wrap(line, self.width, "", "    ")) + "\n")
            out.flush()
        except (OSError, ValueError):  # a closed pipe: stay quiet
            pass

    def close(self) -> None:
        pass
