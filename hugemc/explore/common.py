"""What both explorers share: limits, property bookkeeping, the search result."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field
from typing import Callable

from ..backend import Model
from ..ir import DEADLOCK, FINAL, INVARIANT, REACHABLE
from ..ir.interp import Fault
from ..progress import interrupted as _interrupted


@dataclass(frozen=True)
class Limits:
    """Bounds of a search; hitting one makes the result incomplete."""

    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    max_memory: int | None = None
    started: float | None = None  # time.monotonic() when the scenario's check began: limits count from there


@dataclass
class Found:
    """A violation (or a reached property, or a warning) found by the search.

    ``path`` is the list of states from an initial state to the state where it
    shows; ``thread`` is the failing thread for errors found while expanding
    that state's step (None for state predicates and deadlocks).
    """

    name: str
    kind: str
    message: str
    path: list[tuple]
    thread: int | None = None
    loc: object = None


@dataclass
class SearchResult:
    """Raw outcome of a search (paths of states; traces are built later)."""

    violations: dict[str, Found] = field(default_factory=dict)
    reached: dict[str, Found] = field(default_factory=dict)
    warnings: dict[tuple, Found] = field(default_factory=dict)
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    complete: bool = True
    limit: str | None = None
    peak_rss: int = 0
    store: str = "memory"
    store_bytes: int = 0
    reduction: str = ""


Progress = Callable[[int, int, int, float], None]


def rss_bytes() -> int:
    """Current resident set size of this process."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Checker:
    """Evaluates properties on states and remembers the first hit of each."""

    def __init__(self, model: Model, result: SearchResult) -> None:
        self.model = model
        self.r = result
        self.unpack = model.unpack
        self.inv = [(p, f) for p, f in model.properties if p.kind == INVARIANT]
        self.reach = [(p, f) for p, f in model.properties if p.kind == REACHABLE]
        self.final = [(p, f) for p, f in model.properties if p.kind == FINAL]
        self.all_inv = model.invariants_hold

    def is_open(self, name: str) -> bool:
        """Whether property ``name`` is still to be decided (not yet violated or reached)."""
        return name not in self.r.violations and name not in self.r.reached

    def active(self) -> bool:
        """Whether any state property is left to check (else ``on_state`` may be skipped)."""
        return bool(self.inv or self.reach or self.final)

    def on_state(self, s: int, path: Callable[[], list]) -> None:
        """Check a newly found (packed) state; ``path()`` gives the packed states leading to it."""
        bad = False
        if self.all_inv is not None and self.inv:
            try:  # the common case: every invariant holds, checked in one call
                bad = not self.all_inv(s)
            except Exception:
                bad = True
        else:
            for item in self.inv:
                try:
                    if not item[1](s):
                        bad = True
                        break
                except Fault:
                    bad = True
                    break
        if not bad and not self.reach and not self.final:
            return
        path = self._tuples(path)
        if bad:
            for item in list(self.inv):
                p, f = item
                ok, msg = self._eval(f, s)
                if not ok:
                    self.r.violations[p.name] = Found(p.name, INVARIANT, msg or f"invariant '{p.name}' violated",
                                                      path())
                    self.inv.remove(item)
                    self.all_inv = None  # it checks every invariant: from now on, one by one
        if self.reach:
            for item in list(self.reach):
                p, f = item
                ok, msg = self._eval(f, s)
                if msg is not None:
                    self.r.violations[p.name] = Found(p.name, REACHABLE, msg, path())
                    self.reach.remove(item)
                elif ok:
                    self.r.reached[p.name] = Found(p.name, REACHABLE, f"'{p.name}' reached", path())
                    self.reach.remove(item)
        if self.final and self.model.all_done(s):
            for item in list(self.final):
                p, f = item
                ok, msg = self._eval(f, s)
                if not ok:
                    self.r.violations[p.name] = Found(p.name, FINAL, msg or f"final property '{p.name}' violated",
                                                      path())
                    self.final.remove(item)

    @staticmethod
    def _eval(f, s) -> tuple[bool, str | None]:
        try:
            return bool(f(s)), None
        except Fault as e:
            return False, f"evaluating the property faulted: {e.message}"

    def on_errors(self, errs: list, path: Callable[[], list]) -> None:
        """Record runtime errors found while expanding a state."""
        path = self._tuples(path)
        for tid, kind, message, loc, name in errs:
            if name not in self.r.violations:
                self.r.violations[name] = Found(name, kind, message, path(), tid, loc)

    def _tuples(self, path: Callable[[], list]) -> Callable[[], list]:
        unpack = self.unpack
        return lambda: [unpack(x) for x in path()]

    def on_warnings(self, warns: list, path: Callable[[], list]) -> None:
        """Record the first occurrence of each non-fatal warning."""
        path = self._tuples(path)
        for tid, message, loc in warns:
            key = (message, loc.file, loc.line)
            if key not in self.r.warnings:
                self.r.warnings[key] = Found("warning", "warning", message, path(), tid, loc)

    def on_deadlock(self, s: int, path: Callable[[], list]) -> None:
        """Record a state where no thread can move and some has not returned."""
        if DEADLOCK not in self.r.violations:
            path = self._tuples(path)
            get = self.model.layout.get
            stuck = [t.name for t in self.model.program.threads if get(s, t.pc_slot) >= 0]
            self.r.violations[DEADLOCK] = Found(
                DEADLOCK, DEADLOCK, "deadlock: no thread can move; blocked: " + ", ".join(stuck), path())


class Clock:
    """Checks time and memory limits cheaply (every few thousand states)."""

    def __init__(self, limits: Limits, progress: Progress | None) -> None:
        self.limits = limits
        self.start = time.monotonic()
        self.origin = limits.started if limits.started is not None else self.start  # the time limit counts from here
        self.progress = progress
        self.next_report = self.start + 0.25

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def over(self, states: int, transitions: int, depth: int, queue: int | None = None) -> str | None:
        """The name of the limit reached (``interrupted`` after Ctrl-C), or None.

        ``queue``: the states found but not expanded yet (BFS) or the stack's
        depth (DFS), for the progress display.
        """
        now = time.monotonic()
        if self.progress is not None and now >= self.next_report:
            if queue is None:
                self.progress(states, transitions, depth, now - self.start)
            else:
                self.progress(states, transitions, depth, now - self.start, queue)
            self.next_report = now + 0.25
        if _interrupted():
            return "interrupted"
        lim = self.limits
        if lim.time_limit is not None and now - self.origin > lim.time_limit:
            return "time_limit"
        if lim.max_memory is not None and rss_bytes() > lim.max_memory:
            return "max_memory"
        return None
