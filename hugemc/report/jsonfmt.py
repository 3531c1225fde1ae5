"""The JSON result: writing it, and reading it back (for ``hugemc trace``).

The schema is documented in docs/json.md and kept stable.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..result import (
    Op, PropertyResult, ScenarioResult, Stats, Trace, TraceStep, Violation, results_json,
)


def write_json(results: list[ScenarioResult], out, baseline: dict | None = None) -> None:
    """Write the JSON document for ``results`` (and a baseline comparison) to a file object."""
    json.dump(results_json(results, baseline), out, indent=2)
    out.write("\n")


def _trace(d: dict) -> Trace:
    steps = []
    for s in d.get("steps", []):
        ops = [Op(o["file"], o["line"], o.get("code", ""), o.get("changes", {}), o.get("message"),
                  o.get("reads", {})) for o in s.get("ops", [])]
        steps.append(TraceStep(s.get("index", len(steps) + 1), s["thread"], s["file"], s["line"], s.get("code", ""),
                               s.get("changes", {}), s.get("messages", []), s.get("error"), ops,
                               s.get("reads", {}), s.get("function", ""), bool(s.get("relevant", True)),
                               s.get("site", {})))
    return Trace(d.get("initial", {}), steps, d.get("final", {}))


def _violation(v: dict) -> Violation:
    return Violation(v["property"], v["kind"], v["message"], _trace(v["trace"]), v.get("file", ""),
                     v.get("line", 0), v.get("focus", []), v.get("final_state", {}))


def load_results(path: str | Path) -> list[ScenarioResult]:
    """Read a JSON result file back into ScenarioResult objects.

    Raises ValueError with a readable message if the file is not a hugemc result.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    if not isinstance(data, dict) or "scenarios" not in data or "hugemc" not in data:
        raise ValueError(f"{path} is not a hugemc result (no 'hugemc' and 'scenarios' keys)")
    if not isinstance(data["scenarios"], list):
        raise ValueError(f"{path} is not a hugemc result ('scenarios' is not a list)")
    problem = result_problem(data)
    if problem is not None:
        raise ValueError(f"{path} is not a valid hugemc result: {problem}")
    out = []
    for k, s in enumerate(data["scenarios"]):
        try:
            out.append(_scenario(s))
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as e:
            what = f"missing field {e}" if isinstance(e, KeyError) else f"{type(e).__name__}: {e}"
            raise ValueError(f"{path} is not a hugemc result (scenario {k + 1}: {what})") from None
    return out


def _scenario(s: dict) -> ScenarioResult:
    """One scenario of a JSON result (raises KeyError/TypeError on the wrong shape)."""
    if not isinstance(s, dict) or not isinstance(s["name"], str) or not isinstance(s["verdict"], str):
        raise TypeError("a scenario must be an object with a name and a verdict")
    st = s.get("stats", {})
    stats = Stats(st.get("states", 0), st.get("transitions", 0), st.get("depth", 0), st.get("seconds", 0.0),
                  st.get("peak_rss_bytes", 0), st.get("complete", True), st.get("limit"),
                  st.get("strategy", "bfs"), 0, st.get("store", "memory"), st.get("store_bytes", 0),
                  st.get("reduction", ""), st.get("workers", 1), st.get("engine", "python"),
                  st.get("compile_seconds", 0.0), st.get("engine_note", ""))
    props = [PropertyResult(p["name"], p["kind"], p.get("description", ""), p["status"], p.get("file", ""),
                            p.get("line", 0), _trace(p["witness"]) if p.get("witness") else None)
             for p in s.get("properties", [])]
    return ScenarioResult(
        name=s["name"], file=s.get("file", ""), verdict=s["verdict"], expected=s.get("expected"),
        ok=s.get("ok", False), violations=[_violation(v) for v in s.get("violations", [])],
        properties=props, warnings=[_violation(v) for v in s.get("warnings", [])], stats=stats,
        coverage=s.get("coverage", {}), coverage_detail=s.get("coverage_detail", {}),
        problems=s.get("problems", []), error=s.get("error"),
        error_file=(s.get("error_location") or {}).get("file", ""),
        error_line=(s.get("error_location") or {}).get("line", 0),
        error_col=(s.get("error_location") or {}).get("col", 0),
        description=s.get("description", ""))


# -- the shape of a result, checked before any report reads it ------------------------------------
# ``hugemc trace`` reads JSON written by anyone. Each spec below names the type of every field a
# report reads (the JSON Schema, hugemc/schema/result.schema.json, is stricter; jsonschema is only
# a test dependency). Fields left out are allowed (older results), a field of the wrong type is not.

_INT, _NUM, _STR, _BOOL = ("int",), ("num",), ("str",), ("bool",)
_VALUE = ("value",)  # an integer, a string or null
_VALUES = ("map", _VALUE)
_PAIR = ("pair",)  # [before, after]
_CHANGES = ("map", _PAIR)
_STRS = ("list", _STR)
_OP = ("obj", {"file": _STR, "line": _INT, "code": _STR, "changes": _CHANGES, "reads": _VALUES,
               "message": _STR}, ("file", "line"))
_STEP = ("obj", {"index": _INT, "thread": _STR, "file": _STR, "line": _INT, "function": _STR, "code": _STR,
                 "relevant": _BOOL, "changes": _CHANGES, "reads": _VALUES, "messages": _STRS, "error": ("opt", _STR),
                 "ops": ("list", _OP), "site": ("obj", {"file": _STR, "line": _INT, "code": _STR}, ())},
         ("thread", "file", "line"))
_TRACE = ("obj", {"initial": _VALUES, "steps": ("list", _STEP), "final": _VALUES, "switches": _INT}, ())
_VIOLATION = ("obj", {"property": _STR, "kind": _STR, "message": _STR, "trace": _TRACE, "file": _STR, "line": _INT,
                      "focus": _STRS, "final_state": _VALUES}, ("property", "kind", "message", "trace"))
_PROPERTY = ("obj", {"name": _STR, "kind": _STR, "description": _STR, "status": _STR, "file": _STR, "line": _INT,
                     "witness": ("opt", _TRACE)}, ("name", "kind", "status"))
_STATS = ("obj", {"states": _INT, "transitions": _INT, "depth": _INT, "seconds": _NUM, "peak_rss_bytes": _INT,
                  "complete": _BOOL, "limit": ("opt", _STR), "strategy": _STR, "store": _STR, "store_bytes": _INT,
                  "reduction": _STR, "workers": _INT, "engine": _STR, "compile_seconds": _NUM,
                  "engine_note": _STR}, ())
_SCENARIO = ("obj", {"name": _STR, "file": _STR, "verdict": _STR, "ok": _BOOL, "description": _STR,
                     "violations": ("list", _VIOLATION), "warnings": ("list", _VIOLATION),
                     "properties": ("list", _PROPERTY), "stats": _STATS, "problems": _STRS, "error": ("opt", _STR),
                     "coverage": ("obj", {}, ()), "coverage_detail": ("obj", {}, ()),
                     "error_location": ("obj", {"file": _STR, "line": _INT, "col": _INT}, ())},
             ("name", "verdict"))
_NAMES = {_INT: "an integer", _NUM: "a number", _STR: "a string", _BOOL: "true or false",
          _VALUE: "an integer, a string or null", _PAIR: "a [before, after] pair"}


def _shape(x, spec, where: str) -> str | None:
    kind = spec[0]
    if kind == "opt":
        return None if x is None else _shape(x, spec[1], where)
    if kind == "obj":
        if not isinstance(x, dict):
            return f"{where}: expected an object"
        for k in spec[2]:
            if k not in x:
                return f"{where}: missing field '{k}'"
        for k, sub in spec[1].items():
            if k in x:
                bad = _shape(x[k], sub, f"{where}.{k}")
                if bad:
                    return bad
        return None
    if kind in ("list", "map"):
        if kind == "list" and not isinstance(x, list):
            return f"{where}: expected a list"
        if kind == "map" and not isinstance(x, dict):
            return f"{where}: expected an object"
        items = enumerate(x) if kind == "list" else x.items()
        for k, v in items:
            bad = _shape(v, spec[1], f"{where}[{k}]" if kind == "list" else f"{where}.{k}")
            if bad:
                return bad
        return None
    ok = {"int": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "num": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          "str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
          "value": lambda v: v is None or isinstance(v, (int, str)) and not isinstance(v, bool),
          "pair": lambda v: isinstance(v, list) and len(v) == 2
          and all(e is None or isinstance(e, (int, str)) and not isinstance(e, bool) for e in v)}[kind](x)
    if ok:
        return None
    shown = json.dumps(x)
    return f"{where}: expected {_NAMES[spec]}, got {shown[:60] + ('…' if len(shown) > 60 else '')}"


def result_problem(data: dict) -> str | None:
    """The first field of a parsed result JSON that a report could not read (``scenarios[0].violations[0]
    .trace.steps[0].changes.hits: expected a [before, after] pair, got 5``), or None when it is sound."""
    return _shape(data.get("scenarios"), ("list", _SCENARIO), "scenarios")
