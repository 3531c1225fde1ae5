"""Comparing a run with a baseline: what changed since the last good result.

A CI gate stores the JSON result of the main branch and compares every pull
request's result with it (``hugemc check --baseline OLD.json``). The scenarios
themselves already say whether each run met its expectation; the baseline
catches what they cannot see on their own: a model that quietly explores far
fewer (or far more) states than it used to, model lines that used to run and
no longer do, and violations that appeared or disappeared.

:func:`compare` returns a list of :class:`Finding`; a *fatal* finding is one
that should fail the gate. See docs/baseline.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from .result import ScenarioResult

#: Every kind of finding, in the order they are reported within a scenario.
KINDS = ("scenario_added", "scenario_removed", "verdict_changed", "new_violation", "violation_gone",
         "states_changed", "lines_lost")

#: Default factor by which a state count may change before it is reported.
DEFAULT_THRESHOLD = 2.0


@dataclass
class Finding:
    """One difference between the baseline and the new result.

    ``kind`` is one of :data:`KINDS`; ``scenario`` the scenario's name;
    ``message`` one sentence for a kernel developer, starting with the
    scenario's name; ``fatal`` says whether the difference should fail the gate.
    """

    kind: str
    scenario: str
    message: str
    fatal: bool

    def to_json(self) -> dict:
        """The finding as a JSON object (``kind``, ``scenario``, ``message``, ``fatal``)."""
        return {"kind": self.kind, "scenario": self.scenario, "message": self.message, "fatal": self.fatal}


def compare(old: list[ScenarioResult], new: list[ScenarioResult],
            threshold: float = DEFAULT_THRESHOLD) -> list[Finding]:
    """Compare the results of a new run with those of a baseline run.

    Scenarios are matched by ``name``. For each scenario present in both:

    - ``verdict_changed``: the verdict is different (not fatal by itself: what
      made it change is reported as the findings below, and an input error or
      a search cut short already sets the run's own exit status);
    - ``new_violation``: a property violated now and not in the baseline;
      fatal when the new result does not expect it;
    - ``violation_gone``: a property violated in the baseline and not now;
      fatal when it was an expected violation (a known bug no longer found),
      unless the new scenario no longer expects it either (the expectation was
      deliberately changed) or the new search was cut short (the bug may just
      not have been reached yet);
    - ``states_changed``: both searches complete, and the number of states
      changed by more than the factor ``threshold`` either way (fatal: a model
      that explores ten times fewer states may no longer exercise the race it
      is about; one that explores ten times more may blow the CI's budget);
    - ``lines_lost``: the new search is complete and model lines in the
      baseline's ``coverage`` are not in the new one (fatal).

    A scenario whose input is wrong (verdict ``error``) on either side gets
    only ``verdict_changed``: it has no states, coverage or violations to
    compare. Scenarios only in the new run are ``scenario_added``, only in
    the baseline ``scenario_removed`` (neither fatal).

    Findings come in the order of the new run's scenarios, then the removed
    ones in the baseline's order. ``threshold`` must be at least 1.
    """
    if not threshold >= 1.0:
        raise ValueError(f"the state-count threshold must be a factor of at least 1, not {threshold}")
    old_by = _by_name(old)
    new_by = _by_name(new)
    findings: list[Finding] = []
    for name, n in new_by.items():
        o = old_by.get(name)
        if o is None:
            findings.append(Finding("scenario_added", name,
                                    f"{name}: new scenario ({n.file}), not in the baseline; verdict {n.verdict}",
                                    False))
        else:
            findings += _compare_scenario(name, o, n, threshold)
    for name, o in old_by.items():
        if name not in new_by:
            findings.append(Finding("scenario_removed", name,
                                    f"{name}: scenario in the baseline ({o.file}) was not checked in this run",
                                    False))
    return findings


def fatal(findings: list[Finding]) -> list[Finding]:
    """The findings that should fail the gate."""
    return [f for f in findings if f.fatal]


def findings_json(findings: list[Finding], threshold: float = DEFAULT_THRESHOLD) -> dict:
    """A JSON object for a comparison: the threshold, the findings and whether any is fatal."""
    return {"threshold": threshold, "fatal": any(f.fatal for f in findings),
            "findings": [f.to_json() for f in findings]}


def format_findings(findings: list[Finding]) -> list[str]:
    """One plain-text line per finding (``✗`` fatal, ``·`` informational), then a summary line."""
    lines = [f"{'✗' if f.fatal else '·'} {f.message}" for f in findings]
    nf = len(fatal(findings))
    if not findings:
        lines.append("baseline: no difference")
    else:
        lines.append(f"baseline: {len(findings)} difference(s), {nf} fatal")
    return lines


# ---------------------------------------------------------------------------


def _by_name(results: list[ScenarioResult]) -> dict[str, ScenarioResult]:
    """Results keyed by scenario name; a name seen again in one run is told apart by its file."""
    out: dict[str, ScenarioResult] = {}
    for r in results:
        key = r.name if r.name not in out else f"{r.name} ({r.file})"
        out[key] = r
    return out


def _expected(r: ScenarioResult) -> set[str]:
    return set(r.expected) if isinstance(r.expected, list) else set()


def _compare_scenario(name: str, o: ScenarioResult, n: ScenarioResult, threshold: float) -> list[Finding]:
    """The findings for one scenario checked in both runs."""
    out: list[Finding] = []
    if o.verdict != n.verdict:
        why = ""
        if n.verdict == "error":
            why = ": its input is now wrong, see the report"
        elif n.verdict == "incomplete":
            why = f": the search was cut short by {n.stats.limit}"
        out.append(Finding("verdict_changed", name, f"{name}: verdict {o.verdict} -> {n.verdict}{why}", False))
    if "error" in (o.verdict, n.verdict):
        return out

    old_v = {v.property: v for v in o.violations}
    new_v = {v.property: v for v in n.violations}
    exp_new, exp_old = _expected(n), _expected(o)
    for prop, v in new_v.items():
        if prop in old_v:
            continue
        steps = len(v.trace.steps)
        if prop in exp_new:
            out.append(Finding("new_violation", name,
                               f"{name}: {prop} is now violated, as the scenario expects ({v.message}; "
                               f"{steps}-step trace)", False))
        else:
            out.append(Finding("new_violation", name,
                               f"{name}: new violation of {prop}: {v.message} ({steps}-step trace at "
                               f"{_loc(v.file, v.line)}); the baseline had none", True))
    for prop in old_v:
        if prop in new_v:
            continue
        if prop not in exp_old:
            out.append(Finding("violation_gone", name,
                               f"{name}: {prop} is no longer violated (it was an unexpected violation in "
                               "the baseline)", False))
        elif not n.stats.complete:
            out.append(Finding("violation_gone", name,
                               f"{name}: known bug {prop} was not found, but the search was cut short by "
                               f"{n.stats.limit} before it may have been reached", False))
        elif prop not in exp_new:
            out.append(Finding("violation_gone", name,
                               f"{name}: known bug {prop} is no longer found, and the scenario no longer "
                               "expects it", False))
        else:
            out.append(Finding("violation_gone", name,
                               f"{name}: known bug no longer found: {prop} was violated in the baseline "
                               f"({len(old_v[prop].trace.steps)}-step trace) and is not now; "
                               "the model may have lost the race it reproduces", True))

    if o.stats.complete and n.stats.complete:
        f = _states_finding(name, o.stats.states, n.stats.states, threshold)
        if f is not None:
            out.append(f)
    if n.stats.complete:
        lost, fewer = _lines_lost(o.coverage, n.coverage, (o.coverage_detail or {}).get("digests", {}),
                                  (n.coverage_detail or {}).get("digests", {}))
        if lost:
            where = ", ".join(f"{file}:{line}" for file, line in lost)
            out.append(Finding("lines_lost", name,
                               f"{name}: {len(lost)} model line(s) ran in the baseline and no longer do: "
                               f"{where}", True))
        for file, k in fewer:
            out.append(Finding("lines_lost", name,
                               f"{name}: {k} fewer line(s) of {file} ran than in the baseline (the file changed "
                               "since: its lines are compared by number, not by place)", True))
    return out


def _states_finding(name: str, old: int, new: int, threshold: float) -> Finding | None:
    """A ``states_changed`` finding when the state count changed by more than ``threshold`` either way."""
    if old == new:
        return None
    lo, hi = min(old, new), max(old, new)
    if lo > 0 and hi / lo <= threshold:
        return None
    factor = f"{hi / lo:.1f}x" if lo > 0 else "from none"
    if new < old:
        return Finding("states_changed", name,
                       f"{name}: {old:,} -> {new:,} states ({factor} fewer): the model may no longer "
                       "exercise what it did", True)
    return Finding("states_changed", name,
                   f"{name}: {old:,} -> {new:,} states ({factor} more): the state space grew; check that "
                   "the model still means what it did and that the search fits the CI's limits", True)


def _lines_lost(old: dict[str, list[int]], new: dict[str, list[int]], old_digests: dict | None = None,
                new_digests: dict | None = None) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """``(file, line)`` of the baseline's coverage missing from the new coverage, sorted; and ``(file,
    how many)`` for the files whose text changed since the baseline (their digests differ), where lines
    that moved are not lost: such a file only counts when fewer of its lines ran.

    Files are matched by path, and also by their place in hugemc's shipped
    library: ``/…/site-packages/hugemc/models/mm/buddy.c`` and
    ``models/mm/buddy.c`` are the same file, so a baseline written by another
    installation (another Python version, a checkout instead of a wheel) does
    not lose every library line.
    """
    new_lines: dict[str, set[int]] = {}
    for f, lines in new.items():
        new_lines.setdefault(_file_key(f), set()).update(lines)
    od = {_file_key(f): d for f, d in (old_digests or {}).items()}
    nd = {_file_key(f): d for f, d in (new_digests or {}).items()}
    lost, fewer = [], []
    for f, lines in old.items():
        key = _file_key(f)
        have = new_lines.get(key, set())
        if key in od and key in nd and od[key] != nd[key]:
            if len(have) < len(set(lines)):
                fewer.append((f, len(set(lines)) - len(have)))
            continue
        lost += [(f, ln) for ln in lines if ln not in have]
    return sorted(lost), sorted(fewer)


def _file_key(path: str) -> str:
    """The key a coverage file is matched by: shipped library files by their path inside the library.

    Results name library files relative to the library (``mm/buddy.c``); older
    results by an absolute path (``.../site-packages/hugemc/models/mm/buddy.c``)
    or relative to a checkout (``models/mm/buddy.c``): all three match.
    """
    parts = PurePosixPath(path.replace("\\", "/")).parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "hugemc" and parts[i + 1] in ("models", "properties"):
            return "/".join(parts[i + 2:])
    if len(parts) > 1 and parts[0] in ("models", "properties"):
        from .scenario import models_dir, properties_dir
        rest = "/".join(parts[1:])
        if ((models_dir() if parts[0] == "models" else properties_dir()) / rest).is_file():
            return rest
    return path


def _loc(file: str, line: int) -> str:
    return f"{file}:{line}" if file else "no step"
