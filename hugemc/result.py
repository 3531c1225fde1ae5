"""What a check produces: verdicts, counterexample traces, statistics.

Reports (text, JSON, and later JUnit, SARIF, graphs, HTML) read only these
classes. :meth:`ScenarioResult.to_json` is the stable machine interface
documented in docs/json.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 1


@dataclass
class Op:
    """One IR node a step ran (finer grain than a step, for step-through views)."""

    file: str
    line: int
    code: str
    changes: dict[str, list] = field(default_factory=dict)
    message: str | None = None
    reads: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict:
        d = {"file": self.file, "line": self.line, "code": self.code, "changes": self.changes,
             "reads": self.reads}
        if self.message:
            d["message"] = self.message
        return d


@dataclass
class TraceStep:
    """One step of one thread in a counterexample."""

    index: int
    thread: str
    file: str
    line: int
    code: str
    changes: dict[str, list]
    messages: list[str] = field(default_factory=list)
    error: str | None = None
    ops: list[Op] = field(default_factory=list)
    reads: dict[str, object] = field(default_factory=dict)
    function: str = ""
    relevant: bool = True  # the violation depends on this step (see hugemc.explore.relevance)
    # where the step began when that is not the line shown (an ``ATOMIC {`` block or a call):
    # {"file", "line", "code"}; empty otherwise
    site: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        d = {"index": self.index, "thread": self.thread, "file": self.file, "line": self.line,
             "function": self.function, "relevant": self.relevant,
             "code": self.code, "changes": self.changes, "reads": self.reads, "messages": self.messages,
             "ops": [o.to_json() for o in self.ops]}
        if self.error:
            d["error"] = self.error
        if self.site:
            d["site"] = self.site
        return d


@dataclass
class Trace:
    """A path from an initial state: ``initial`` values, then the steps."""

    initial: dict[str, object]
    steps: list[TraceStep]
    final: dict[str, object] = field(default_factory=dict)

    @property
    def switches(self) -> int:
        """Context switches: consecutive steps taken by different threads."""
        return sum(1 for a, b in zip(self.steps, self.steps[1:]) if a.thread != b.thread)

    def to_json(self) -> dict:
        return {"initial": self.initial, "steps": [s.to_json() for s in self.steps], "final": self.final,
                "switches": self.switches}


@dataclass
class Violation:
    """A property that failed, with the (shortest, under BFS) trace that fails it."""

    property: str
    kind: str
    message: str
    trace: Trace
    file: str = ""
    line: int = 0
    focus: list[str] = field(default_factory=list)  # slots the violated property reads
    # FINAL properties: the values of the ``focus`` slots in the final state that violates it
    final_state: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict:
        d = {"property": self.property, "kind": self.kind, "message": self.message,
             "file": self.file, "line": self.line, "focus": self.focus, "trace": self.trace.to_json()}
        if self.final_state:
            d["final_state"] = self.final_state
        return d


@dataclass
class PropertyResult:
    """The status of one property: holds, violated, reached, unreached or unknown."""

    name: str
    kind: str
    description: str
    status: str
    file: str = ""
    line: int = 0
    witness: Trace | None = None

    def to_json(self) -> dict:
        d = {"name": self.name, "kind": self.kind, "description": self.description, "status": self.status,
             "file": self.file, "line": self.line}
        if self.witness is not None:
            d["witness"] = self.witness.to_json()
        return d


@dataclass
class Stats:
    """Search statistics."""

    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    peak_rss_bytes: int = 0
    complete: bool = True
    limit: str | None = None
    strategy: str = "bfs"
    fallback_steps: int = 0
    store: str = "memory"
    store_bytes: int = 0
    reduction: str = ""
    workers: int = 1
    engine: str = "python"       # compiled or python: which engine searched
    compile_seconds: float = 0.0  # the compiled engine's code generation and C compilation (0 when cached)
    engine_note: str = ""         # what the engine compiled and what it left to Python (-v)

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        return {"states": self.states, "transitions": self.transitions, "depth": self.depth,
                "seconds": round(self.seconds, 4), "states_per_second": round(self.states_per_second, 1),
                "peak_rss_bytes": self.peak_rss_bytes, "complete": self.complete, "limit": self.limit,
                "strategy": self.strategy, "store": self.store, "store_bytes": self.store_bytes,
                "reduction": self.reduction, "workers": self.workers, "engine": self.engine,
                "compile_seconds": round(self.compile_seconds, 4), "engine_note": self.engine_note}


@dataclass
class ScenarioResult:
    """Everything about one scenario's check."""

    name: str
    file: str
    verdict: str  # holds | violated | error | incomplete
    expected: object  # "holds" or a list of property names
    ok: bool
    violations: list[Violation] = field(default_factory=list)
    properties: list[PropertyResult] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    coverage: dict[str, list[int]] = field(default_factory=dict)
    coverage_detail: dict = field(default_factory=dict)  # hits per line and step, unreached lines per thread
    problems: list[str] = field(default_factory=list)  # why ok is false, in words
    error: str | None = None  # rendered diagnostic when verdict == "error"
    # where that diagnostic points (display path, 1-based line and column; "", 0 when unknown)
    error_file: str = ""
    error_line: int = 0
    error_col: int = 0
    description: str = ""
    # library functions the scenario's models replaced: {"function", "file", "line", "library_file", "library_line"}
    replaced: list[dict] = field(default_factory=list)

    def expects(self, v: Violation) -> bool:
        """Whether the scenario expects violation ``v`` (a known bug): its property is listed, or
        its kind (``assertion``, ``warning``) for a named site such as ``VM_BUG_ON@enqueue_huge_page``."""
        if not isinstance(self.expected, list):
            return False
        return v.property in self.expected or (v.property != v.kind and v.kind in self.expected)

    def to_json(self) -> dict:
        d = {"name": self.name, "file": self.file, "verdict": self.verdict, "expected": self.expected,
             "ok": self.ok, "violations": [v.to_json() for v in self.violations],
             "properties": [p.to_json() for p in self.properties],
             "warnings": [w.to_json() for w in self.warnings], "stats": self.stats.to_json(),
             "coverage": self.coverage, "coverage_detail": self.coverage_detail, "problems": self.problems,
             "description": self.description, "replaced": self.replaced}
        if self.error is not None:
            d["error"] = self.error
            if self.error_file:
                d["error_location"] = {"file": self.error_file, "line": self.error_line, "col": self.error_col}
        return d


def results_json(results: list[ScenarioResult], baseline: dict | None = None) -> dict:
    """The top-level JSON document for a run (with the baseline comparison, when one was made)."""
    from . import __version__
    doc = {"hugemc": __version__, "schema": SCHEMA_VERSION, "scenarios": [r.to_json() for r in results]}
    if baseline is not None:
        doc["baseline"] = baseline
    return doc
