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
