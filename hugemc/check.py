"""Checking a scenario end to end: load, compile, explore, judge, explain.

:func:`check_scenario` is what ``hugemc check`` runs for each scenario file.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from . import ir
from .backend import compile_program
from .diagnostics import HugemcError, SourceLoc, display_path
from .explore import Limits, bfs, dfs
from .explore.trace import build_trace
from .ir.interp import Fault
from .lang import build_program
from .explore.common import peak_rss_bytes, rss_bytes
from .result import PropertyResult, ScenarioResult, Stats, Violation
from .scenario import Scenario, load_scenario


@dataclass(frozen=True)
class CheckOptions:
    """Command-line overrides of a scenario's own settings."""

    strategy: str | None = None
    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    max_memory: int | None = None
    include: tuple[Path, ...] = ()
    coverage_fatal: bool = False  # model lines never executed make the scenario fail
    suite_defaults: tuple = ()  # (key, value) pairs used where neither this nor the scenario says
    por: bool | None = None       # partial-order reduction (BFS and DFS)
    symmetry: bool | None = None  # symmetry reduction of identical threads
    store: str | None = None      # visited states: memory, disk or hash-compact (BFS)
    workers: int | None = None    # processes for one BFS (multi-core)
    fewest_switches: bool = False  # counterexamples with the fewest context switches, then fewest steps
    engine: str | None = None     # auto (default), compiled, python or ray (the BFS on a Ray cluster)
    address: str | None = None    # --engine ray: the cluster to join (else $RAY_ADDRESS, else a local one)


STORES = ("memory", "disk", "hash-compact")
ENGINES = ("auto", "compiled", "python", "ray")
AUTO_DELAY = 1.0    # --engine auto: seconds of Python search before the compiled engine is built
DETACH_AFTER = 3.0  # seconds of Python search after which an unfinished compiled engine is built for next time


def search_option(opt: CheckOptions, name: str, default):
    """A search option: the command line, else the suite's defaults, else ``default``."""
    v = getattr(opt, name)
    if v is None:
        v = dict(opt.suite_defaults).get(name)
    return default if v is None else v


def scenario_limits(sc: Scenario, opt: CheckOptions) -> Limits:
    """The bounds of a run: command line over scenario."""
    b = sc.bounds
    d = dict(opt.suite_defaults)

    def pick(name):
        for v in (getattr(opt, name), getattr(b, name), d.get(name)):
            if v is not None:
                return v
        return None
    return Limits(max_states=pick("max_states"), max_depth=pick("max_depth"), time_limit=pick("time_limit"),
                  max_memory=pick("max_memory"))


def error_result(path: Path, err: HugemcError) -> ScenarioResult:
    """The result of a scenario whose input is wrong (verdict ``error``)."""
    loc = err.loc
    return ScenarioResult(name=path.stem, file=display_path(path), verdict="error", expected=None, ok=False,
                          error=err.render(), problems=[err.message],
                          error_file=display_path(loc.file) if loc is not None and loc.file else "",
                          error_line=loc.line if loc is not None else 0,
                          error_col=loc.col if loc is not None else 0)


class TimeUp(Exception):
    """The scenario's time limit ran out in the middle of a phase."""


@contextmanager
def run_deadline(seconds: float | None):
    """Raise :class:`TimeUp` when ``seconds`` have passed (main thread only; a grace of 0.5 s
    lets the search stop by itself first, with its statistics)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum, frame):
        raise TimeUp()
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds + 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class MemoryUp(Exception):
    """The scenario's memory limit was passed between two phases."""


def incomplete_result(path: Path, name: str, phase: str, limit: float, started: float,
                      expected=None, what: str = "time") -> ScenarioResult:
    """The result of a scenario whose time (or memory) limit ran out before the search could report (exit 3)."""
    seconds = time.monotonic() - started
    stats = Stats(seconds=seconds, peak_rss_bytes=peak_rss_bytes(), complete=False,
                  limit="time_limit" if what == "time" else "max_memory")
    amount = f"{limit:g} s" if what == "time" else f"{limit / 2 ** 20:,.0f} MiB"
    return ScenarioResult(name=name, file=display_path(path), verdict="incomplete", expected=expected, ok=False,
                          stats=stats, problems=[f"{what} limit of {amount} reached while {phase}: "
                                                 "the verdict is incomplete"])


def _memory_check(limits, phase: str) -> None:
    """Between phases: stop if the process is already past ``--max-memory``."""
    if limits.max_memory is not None and rss_bytes() > limits.max_memory:
        raise MemoryUp(phase)


def check_scenario(path: str | Path, opt: CheckOptions = CheckOptions(),
                   progress: Callable | None = None) -> ScenarioResult:
    """Check one scenario file; input errors become a result with verdict ``error``.

    ``--time-limit`` bounds the whole check, from reading the scenario to
    building the traces: a run cut short in any phase is ``incomplete``.
    """
    path = Path(path)
    started = time.monotonic()
    phase = ["reading the scenario"]
    sc = None
    try:
        sc = load_scenario(path, list(opt.include))
    except HugemcError as e:
        return error_result(path, e)
    limit = scenario_limits(sc, opt).time_limit
    expected = "holds" if sc.expect_holds else list(sc.expect_violated)
    try:
        with run_deadline(limit):
            phase[0] = "compiling the models"
            try:
                program = build_program(sc)
            except HugemcError as e:
                return replace(error_result(path, e), name=sc.name)
            _memory_check(scenario_limits(sc, opt), "compiling the models")
            return check_program(sc, program, opt, progress, started=started, phase=phase)
    except TimeUp:
        return incomplete_result(path, sc.name, phase[0], limit, started, expected)
    except MemoryUp as e:
        return incomplete_result(path, sc.name, str(e), scenario_limits(sc, opt).max_memory, started, expected,
                                 what="memory")
    except MemoryError:
        pass  # handled below, once the frames that held the memory are gone
    return out_of_memory_result(path, sc.name, phase[0], scenario_limits(sc, opt).max_memory, started, expected)


def out_of_memory_result(path: Path, name: str, phase: str, max_memory: int | None, started: float,
                         expected=None) -> ScenarioResult:
    """The result of a scenario whose check ran out of memory (Python's ``MemoryError``) while ``phase``.

    With a memory limit that is the limit reached (``incomplete``, exit 3);
    without one, an input error (exit 2) that says what ran out, never a traceback.
    """
    if max_memory is not None:
        return incomplete_result(path, name, phase, max_memory, started, expected, what="memory")
    err = HugemcError(f"out of memory while {phase}", SourceLoc(str(path)),
                      hint="the model is too large for this machine: shrink it, or give --max-memory "
                           "(or max_memory in [check]) to stop such a run as incomplete")
    return replace(error_result(path, err), name=name)


def check_program(sc: Scenario, program: ir.Program, opt: CheckOptions = CheckOptions(),
                  progress: Callable | None = None, started: float | None = None,
                  phase: list | None = None) -> ScenarioResult:
    """Explore a compiled scenario and judge it against its expectation.

    ``started`` (``time.monotonic()``) is when the scenario's check began, so
    that the time limit counts the phases before the search; ``phase[0]`` is
    kept up to date with what the check is doing.
    """
    phase = phase if phase is not None else [""]
    engine = search_option(opt, "engine", None)
    if engine == "ray":
        from .explore.raybfs import RayUnavailable, import_ray
        try:
            import_ray()
        except RayUnavailable as e:
            return replace(error_result(sc.path, HugemcError(str(e), hint=e.hint)), name=sc.name)
    phase[0] = "generating code"
    from .lang.nesting import deep_recursion
    with deep_recursion():
        model = compile_program(program)
    strategy = opt.strategy or (sc.strategy if sc.strategy_given else dict(opt.suite_defaults).get("strategy", "bfs"))
    limits = replace(scenario_limits(sc, opt), started=started)
    expected = "holds" if sc.expect_holds else list(sc.expect_violated)
    por, symmetry = search_option(opt, "por", False), search_option(opt, "symmetry", False)
    store, workers = search_option(opt, "store", "memory"), search_option(opt, "workers", 1)
    if strategy == "dfs" and (store != "memory" or workers > 1):
        what = "--store" if store != "memory" else "--workers"
        err = HugemcError(f"{what} works with breadth-first search only",
                          hint="drop the option, or use --strategy bfs")
        return replace(error_result(sc.path, err), name=sc.name)
    if engine == "ray" and (strategy == "dfs" or por):
        what = "--strategy dfs" if strategy == "dfs" else "--por"
        err = HugemcError(f"{what} does not work with --engine ray (a breadth-first search over shards)",
                          hint="drop the option" + (" (--symmetry works with --engine ray)" if por else ""))
        return replace(error_result(sc.path, err), name=sc.name)
    reduce = None
    if por or symmetry:
        from .explore.reduce import Reduction
        reduce = Reduction(model, por=por, symmetry=symmetry)
    try:
        _memory_check(limits, "generating code")
    except MemoryUp as e:
        expected = "holds" if sc.expect_holds else list(sc.expect_violated)
        return replace(incomplete_result(sc.path, sc.name, str(e), limits.max_memory,
                                         started if started is not None else time.monotonic(), expected,
                                         what="memory"), description=sc.description)
    engine = search_option(opt, "engine", "auto")
    engine_note = ""
    jm = build = None
    if engine == "ray":
        engine_note = "Ray engine (a breadth-first search over shards)"
    elif engine != "python":
        why_not = ("DFS" if strategy == "dfs" else "--por" if por else
                   f"--store {store}" if store != "memory" else None)
        if why_not:
            engine, engine_note = "python", f"Python engine ({why_not} runs on it)"
        else:
            phase[0] = "compiling"
            from .backend.jit import Build, JitUnavailable
            build = Build(model, delay=0.0 if engine == "compiled" else AUTO_DELAY)
            if build.error:
                engine, engine_note, build = "python", f"Python engine (no compiled engine: {build.error})", None
            elif engine == "compiled" or build.result is not None or workers > 1:
                try:
                    jm = build.wait()
                    engine_note = jm.describe()
                except JitUnavailable as e:
                    engine, engine_note = "python", f"Python engine (no compiled engine: {e})"
                build = None
    else:
        engine_note = "Python engine (--engine python)"
    phase[0] = "searching"
    try:
        if engine == "ray":
            from .explore.raybfs import RayUnavailable, ray_bfs
            try:
                raw = ray_bfs(model, limits, progress, workers=search_option(opt, "workers", None),
                              address=search_option(opt, "address", None), store=store, reduce=reduce)
            except RayUnavailable as e:
                return replace(error_result(sc.path, HugemcError(str(e), hint=e.hint)), name=sc.name)
            workers = raw.shards
        elif jm is not None:
            from .explore.compiled import compiled_bfs
            raw = compiled_bfs(model, jm, limits, progress, workers=workers, reduce=reduce)
            engine = "compiled"
        elif build is not None:  # the Python engine starts; the compiled one takes over once built
            t_search = time.monotonic()
            try:
                raw = bfs(model, limits, progress, upgrade=build, reduce=reduce)
            finally:
                if build.proc is not None and time.monotonic() - t_search >= DETACH_AFTER:
                    build.detach()  # a search this long is worth compiled next time
                else:
                    build.cancel()
            if build.result is not None:
                jm = build.result
                engine, engine_note = "compiled", jm.describe() + " (took over from the Python engine)"
            else:
                engine = "python"
                engine_note = ("Python engine (the search ended before the compiled engine was built)"
                               if build.error is None else f"Python engine (no compiled engine: {build.error})")
        elif strategy == "dfs":
            raw = dfs(model, limits, progress, reduce=reduce)
        elif workers > 1:
            from .explore.parallel import parallel_bfs
            raw = parallel_bfs(model, limits, progress, workers=workers, store=store, reduce=reduce)
        else:
            raw = bfs(model, limits, progress, store=store, reduce=reduce)
    except Fault as f:
        loc = f.loc
        err = HugemcError(f"the scenario's init faulted: {f.message}",
                          None if loc is None else _sloc(loc), hint="fix the init routine")
        return replace(error_result(sc.path, err), name=sc.name)

    if opt.fewest_switches and raw.violations:
        phase[0] = "searching for the fewest switches"
        from .explore.switches import fewest_switches
        fewer = fewest_switches(model, set(raw.violations), limits)
        raw.violations.update(fewer.violations)  # a property it did not reach keeps its BFS path
    phase[0] = "building the counterexamples"
    violations = []
    for name, found in raw.violations.items():
        trace = build_trace(program, model.interp, found)
        if opt.fewest_switches:
            from .explore.validate import validate_trace
            validate_trace(program, trace, found.kind, name)  # a wrong trace is a bug: fail loudly
        loc = found.loc
        last = trace.steps[-1] if trace.steps else None
        file = display_path(loc.file) if loc is not None else (last.file if last else "")
        line = loc.line if loc is not None else (last.line if last else 0)
        focus = property_focus(program, name)
        final_state = {n: trace.final[n] for n in focus if n in trace.final} if found.kind == "final" else {}
        violations.append(Violation(name, found.kind, found.message, trace, file, line, focus, final_state))
    violations.sort(key=lambda v: (len(v.trace.steps), v.property))
    warnings = [Violation("warning", "warning", f.message, build_trace(program, model.interp, f),
                          display_path(f.loc.file) if f.loc else "", f.loc.line if f.loc else 0)
                for f in raw.warnings.values()]

    props = []
    violated = {v.property for v in violations}
    for p in program.properties:
        if p.kind == ir.REACHABLE:
            if p.name in violated:
                status, witness = "violated", None  # evaluating it faulted
            elif p.name in raw.reached:
                status = "reached"
                witness = build_trace(program, model.interp, raw.reached[p.name])
            else:
                status = "unreached" if raw.complete else "unknown"
                witness = None
        else:
            status = "violated" if p.name in violated else ("holds" if raw.complete else "unknown")
            witness = None
        props.append(PropertyResult(p.name, p.kind, p.description, status, display_path(p.loc.file), p.loc.line,
                                    witness))

    problems = []
    exp_set = set(sc.expect_violated)
    # `expect = ["assertion"]` (or "warning") matches every site of that kind;
    # a site name (VM_BUG_ON@enqueue_huge_page) matches that site alone
    kinds_found = {v.kind for v in violations if v.property != v.kind}
    for v in violations:
        if v.property not in exp_set and not (v.property != v.kind and v.kind in exp_set):
            problems.append(f"unexpected violation of {v.property}: {v.message}")
    if raw.complete:
        for name in sorted(exp_set - violated - kinds_found):
            problems.append(f"known bug no longer found: {name} was expected to be violated")
        for p in props:
            if p.status == "unreached":
                problems.append(f"reachable property {p.name} was never reached: the model may be vacuous")
    elif raw.limit == "hash_compact":
        problems.append(f"hash compaction: no violation in the {raw.states:,} states visited, but states whose "
                        "64-bit hashes collided were taken for one, so some may have been missed "
                        f"(chance about {raw.states ** 2 / 2 ** 65:.1e}); the verdict is incomplete")
    elif raw.limit == "worker_lost":
        problems.append(f"search cut short by worker_lost: a Ray shard died and the search could not resume "
                        f"after {raw.states:,} states; the verdict is incomplete")
    elif raw.limit == "interrupted":
        problems.append(f"search cut short by an interrupt (Ctrl-C) after {raw.states:,} states: "
                        "the verdict is incomplete")
    else:
        problems.append(f"search cut short by {raw.limit}: the verdict is incomplete")
    cov_lines, detail = coverage(program, model.coverage)
    if opt.coverage_fatal and raw.complete and detail["unreached"]:
        from .report.coverage import summarize
        problems.append(f"unreached code: {summarize(detail, None)}")
    verdict = "violated" if violations else ("holds" if raw.complete else "incomplete")
    ok = raw.complete and not problems

    stats = Stats(raw.states, raw.transitions, raw.depth, raw.seconds, raw.peak_rss, raw.complete, raw.limit,
                  strategy, model.fallback_steps, raw.store if strategy == "bfs" else "memory", raw.store_bytes,
                  raw.reduction, workers if strategy == "bfs" else 1, engine,
                  jm.compile_seconds if jm is not None else 0.0, engine_note)
    return ScenarioResult(name=sc.name, file=display_path(sc.path), verdict=verdict, expected=expected, ok=ok,
                          violations=violations, properties=props, warnings=warnings, stats=stats,
                          coverage=cov_lines, coverage_detail=detail, problems=problems,
                          description=sc.description, replaced=replaced_json(program))


def replaced_json(program: ir.Program) -> list[dict]:
    """The library functions a scenario's models replaced, for the result."""
    out = []
    for name, user, lib in program.replaced:
        uf, _, ul = user.rpartition(":")
        lf, _, ll = lib.rpartition(":")
        out.append({"function": name, "file": display_path(uf), "line": int(ul or 0),
                    "library_file": display_path(lf), "library_line": int(ll or 0)})
    return out


def property_focus(program: ir.Program, name: str) -> list[str]:
    """Names of the (non-ghost) state slots a property reads; empty for built-in checks."""
    for p in program.properties:
        if p.name == name:
            reads: set[int] = set()
            for nd in p.routine.nodes:
                reads |= ir.node_reads(nd, program.tables)
            return sorted(program.slots[s].name for s in reads
                          if s < program.nstate and program.slots[s].kind == ir.GLOBAL)
    return []


def coverage(program: ir.Program, cov) -> tuple[dict[str, list[int]], dict]:
    """Executed model lines, and the detail: hits per line and per step, unreached lines per thread.

    Only lines of model code count (not the scenario's entry calls).
    """
    node_hits = cov.node_hits()
    hits: dict[str, dict[int, int]] = {}
    executed: dict[int, set[tuple[str, int]]] = {}
    real: dict[str, str] = {}  # display path -> the file read
    for (tid, pc), n in node_hits.items():
        loc = program.threads[tid].nodes[pc].loc
        if not loc.line or loc.file.endswith(".toml"):
            continue
        f = display_path(loc.file)
        real[f] = loc.file
        executed.setdefault(tid, set()).add((f, loc.line))
        per = hits.setdefault(f, {})
        per[loc.line] = max(per.get(loc.line, 0), n)
    unreached: dict[str, dict[str, list[int]]] = {}
    for t in program.threads:
        lines = {(display_path(nd.loc.file), nd.loc.line) for nd in t.nodes
                 if nd.loc.line and not nd.loc.file.endswith(".toml")}
        missing = lines - executed.get(t.index, set())
        if missing:
            files: dict[str, list[int]] = {}
            for f, ln in sorted(missing):
                files.setdefault(f, []).append(ln)
            unreached[t.name] = files
    steps = []
    for (tid, pc), n in sorted(cov.step_hits().items()):
        loc = program.threads[tid].nodes[pc].loc
        steps.append({"thread": program.threads[tid].name, "file": display_path(loc.file), "line": loc.line,
                      "hits": n})
    lines_out = {f: sorted(v) for f, v in sorted(hits.items())}
    detail = {"hits": {f: {str(k): v for k, v in sorted(per.items())} for f, per in sorted(hits.items())},
              "unreached": unreached, "steps": steps, "digests": _digests(real)}
    return lines_out, detail


def _digests(files: dict[str, str]) -> dict[str, str]:
    """A short digest of each covered file's text (display path -> hex), so a baseline can tell a file
    whose lines moved from one whose code stopped running; a file that cannot be read is left out."""
    import hashlib
    out = {}
    for f, path in sorted(files.items()):
        try:
            out[f] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
        except OSError:
            pass
    return out


def _sloc(loc):
    from .diagnostics import SourceLoc
    return SourceLoc(loc.file, loc.line, loc.col)
