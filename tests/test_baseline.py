"""Comparing a run with a baseline (hugemc/baseline.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT
from hugemc.baseline import KINDS, Finding, compare, fatal, findings_json, format_findings
from hugemc.report import load_results
from hugemc.result import ScenarioResult, Stats, Trace, TraceStep, Violation


def viol(prop: str, steps: int = 2, kind: str = "invariant") -> Violation:
    """A violation of ``prop`` with a trace of ``steps`` dummy steps."""
    trace = Trace({}, [TraceStep(i + 1, "t", "m.c", 10 + i, "x++;", {}) for i in range(steps)])
    return Violation(prop, kind, f"invariant '{prop}' violated", trace, "m.c", 10 + steps - 1)


def result(name="sc", verdict=None, expected="holds", violations=(), states=100, complete=True,
           coverage=None, file=None) -> ScenarioResult:
    """A hand-made result; the verdict and ``ok`` follow from the rest unless given."""
    violations = list(violations)
    if verdict is None:
        verdict = "violated" if violations else ("holds" if complete else "incomplete")
    exp = set(expected) if isinstance(expected, list) else set()
    ok = complete and {v.property for v in violations} == exp
    return ScenarioResult(name=name, file=file or f"{name}.toml", verdict=verdict, expected=expected, ok=ok,
                          violations=violations,
                          stats=Stats(states=states, transitions=2 * states, depth=5, complete=complete,
                                      limit=None if complete else "max_states"),
                          coverage={"m.c": [10, 11, 12]} if coverage is None else coverage)


def kinds(findings: list[Finding]) -> list[str]:
    return [f.kind for f in findings]


def only(findings: list[Finding], kind: str) -> Finding:
    matching = [f for f in findings if f.kind == kind]
    assert len(matching) == 1, findings
    return matching[0]


# --- nothing changed ---------------------------------------------------------


def test_identical_results_have_no_findings():
    old = [result("a"), result("b", expected=["bug"], violations=[viol("bug")])]
    new = [result("a"), result("b", expected=["bug"], violations=[viol("bug")])]
    assert compare(old, new) == []
    assert format_findings([]) == ["baseline: no difference"]


def test_small_state_changes_and_extra_lines_are_fine():
    old = [result(states=1000)]
    new = [result(states=1999, coverage={"m.c": [10, 11, 12, 13], "n.c": [1]})]
    assert compare(old, new) == []


# --- scenarios -------------------------------------------------------------------


def test_scenario_added_and_removed_are_not_fatal():
    old = [result("kept"), result("gone", file="examples/gone.toml")]
    new = [result("kept"), result("fresh", file="examples/fresh.toml")]
    fs = compare(old, new)
    assert kinds(fs) == ["scenario_added", "scenario_removed"]
    assert not fatal(fs)
    added, removed = fs
    assert added.scenario == "fresh" and "examples/fresh.toml" in added.message
    assert removed.scenario == "gone" and "examples/gone.toml" in removed.message


# --- violations --------------------------------------------------------------


def test_unexpected_new_violation_is_fatal():
    fs = compare([result()], [result(violations=[viol("no_ref_on_frozen", 4)])])
    f = only(fs, "new_violation")
    assert f.fatal and f.scenario == "sc"
    assert "new violation of no_ref_on_frozen" in f.message and "4-step trace" in f.message
    assert "m.c:13" in f.message
    assert only(fs, "verdict_changed").message == "sc: verdict holds -> violated"


def test_expected_new_violation_is_not_fatal():
    # the scenario became a regression test for a bug (its expect was updated)
    fs = compare([result()], [result(expected=["bug"], violations=[viol("bug")])])
    f = only(fs, "new_violation")
    assert not f.fatal and "as the scenario expects" in f.message


def test_known_bug_no_longer_found_is_fatal():
    fs = compare([result(expected=["bug"], violations=[viol("bug", 6)])], [result(expected=["bug"])])
    f = only(fs, "violation_gone")
    assert f.fatal
    assert "known bug no longer found: bug" in f.message and "6-step trace" in f.message
    assert not only(fs, "verdict_changed").fatal


def test_unexpected_violation_gone_is_not_fatal():
    # a bug that was a failure before is fixed now
    fs = compare([result(violations=[viol("oops")])], [result()])
    f = only(fs, "violation_gone")
    assert not f.fatal and "no longer violated" in f.message


def test_known_bug_gone_with_expectation_changed_is_not_fatal():
    fs = compare([result(expected=["bug"], violations=[viol("bug")])], [result(expected="holds")])
    f = only(fs, "violation_gone")
    assert not f.fatal and "no longer expects it" in f.message


def test_known_bug_not_reached_in_an_incomplete_search_is_not_fatal():
    fs = compare([result(expected=["bug"], violations=[viol("bug")])],
                 [result(expected=["bug"], complete=False, states=3, coverage={})])
    f = only(fs, "violation_gone")
    assert not f.fatal and "cut short by max_states" in f.message
    assert only(fs, "verdict_changed").message == ("sc: verdict violated -> incomplete: the search was cut short "
                                                   "by max_states")
    # an incomplete search is neither compared by state count nor by coverage
    assert "states_changed" not in kinds(fs) and "lines_lost" not in kinds(fs)
    assert not fatal(fs)


# --- verdicts ------------------------------------------------------------------


def test_verdict_changed_to_error_is_reported_alone():
    new = result(verdict="error", expected=None, states=0, coverage={})
    new.error = "m.c:3:5: error: expected expression"
    fs = compare([result(expected=["bug"], violations=[viol("bug")], states=5000)], [new])
    assert kinds(fs) == ["verdict_changed"]
    assert not fs[0].fatal and "violated -> error" in fs[0].message and "input is now wrong" in fs[0].message


def test_verdict_changed_from_error():
    old = result(verdict="error", expected=None, states=0, coverage={})
    fs = compare([old], [result()])
    assert kinds(fs) == ["verdict_changed"] and not fs[0].fatal
    assert fs[0].message == "sc: verdict error -> holds"


# --- state counts --------------------------------------------------------------


def test_far_fewer_states_is_fatal():
    fs = compare([result("seed-merged", states=10432)], [result("seed-merged", states=950)])
    f = only(fs, "states_changed")
    assert f.fatal
    assert f.message == ("seed-merged: 10,432 -> 950 states (11.0x fewer): the model may no longer exercise "
                         "what it did")


def test_far_more_states_is_fatal():
    f = only(compare([result(states=100)], [result(states=1000)]), "states_changed")
    assert f.fatal and "100 -> 1,000 states (10.0x more)" in f.message


@pytest.mark.parametrize("old,new,threshold,reported", [
    (100, 200, 2.0, False),    # exactly the factor: not more than it
    (100, 201, 2.0, True),
    (200, 100, 2.0, False),
    (201, 100, 2.0, True),
    (100, 140, 1.5, False),
    (100, 160, 1.5, True),
    (100, 101, 1.0, True),     # 1.0: any change
    (100, 900, 10.0, False),
])
def test_state_threshold(old, new, threshold, reported):
    fs = compare([result(states=old)], [result(states=new)], threshold=threshold)
    assert ("states_changed" in kinds(fs)) == reported


def test_threshold_below_one_is_rejected():
    with pytest.raises(ValueError, match="at least 1"):
        compare([], [], threshold=0.5)
    # on the command line: an input error before any search, not a traceback after it
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", str(EXAMPLES / "lost-update.toml"),
                        "--baseline", str(EXAMPLES / "lost-update.toml"), "--baseline-threshold", "0.5"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "at least 1" in r.stderr and "Traceback" not in r.stderr


def test_states_of_incomplete_baseline_are_not_compared():
    fs = compare([result(states=10, complete=False)], [result(states=10000)])
    assert "states_changed" not in kinds(fs)


# --- coverage ------------------------------------------------------------------


def test_lines_lost_are_fatal_and_listed():
    old = result(coverage={"models/mm/hugetlb.c": [120, 125, 130], "m.c": [10, 11]})
    new = result(coverage={"models/mm/hugetlb.c": [120, 131], "m.c": [10, 11, 12]})
    f = only(compare([old], [new]), "lines_lost")
    assert f.fatal
    assert f.message == ("sc: 2 model line(s) ran in the baseline and no longer do: models/mm/hugetlb.c:125, "
                         "models/mm/hugetlb.c:130")


def test_lines_of_a_file_no_longer_run_are_lost():
    old = result(coverage={"m.c": [10], "helper.c": [3, 4]})
    new = result(coverage={"m.c": [10]})
    f = only(compare([old], [new]), "lines_lost")
    assert "helper.c:3, helper.c:4" in f.message


def test_lines_that_moved_in_a_changed_file_are_not_lost(tmp_path):
    """A comment added at the top of a model moves every line: the file's digest changed, so its lines
    are compared by how many ran; only fewer is a loss. The real run records the digests."""
    from conftest import write_scenario
    from hugemc.check import CheckOptions, check_scenario
    src = "int g __range(0, 3);\nvoid t(void) { g = 1;\n  g = 2; }\n"
    p = write_scenario(tmp_path, src, {"t": "t()"})
    base = check_scenario(p, CheckOptions())
    assert base.coverage_detail["digests"]
    (tmp_path / "m.c").write_text("/* a new comment */\n" + src)
    moved = check_scenario(p, CheckOptions())
    assert moved.coverage != base.coverage and compare([base], [moved]) == []
    (tmp_path / "m.c").write_text("/* a new comment */\nint g __range(0, 3);\nvoid t(void) { g = 1; }\n")
    f = only(compare([base], [check_scenario(p, CheckOptions())]), "lines_lost")
    assert f.fatal and "1 fewer line(s) of" in f.message


def test_shipped_library_paths_match_across_installations():
    old = result(coverage={"/opt/py/3.11.8/lib/python3.11/site-packages/hugemc/models/mm/buddy.c": [56, 60]})
    new = result(coverage={"models/mm/buddy.c": [56, 60]})
    assert compare([old], [new]) == []
    newer = result(coverage={"/opt/py/3.11.9/lib/python3.11/site-packages/hugemc/models/mm/buddy.c": [56]})
    f = only(compare([old], [newer]), "lines_lost")
    assert f.message.endswith("site-packages/hugemc/models/mm/buddy.c:60")


# --- output --------------------------------------------------------------------


def test_kinds_json_and_text():
    fs = compare([result("a", states=10), result("b")], [result("a", states=1000), result("c")])
    assert set(kinds(fs)) <= set(KINDS)
    doc = findings_json(fs, 2.0)
    assert doc["fatal"] is True and doc["threshold"] == 2.0
    assert [f["kind"] for f in doc["findings"]] == kinds(fs)
    assert set(doc["findings"][0]) == {"kind", "scenario", "message", "fatal"}
    text = format_findings(fs)
    assert text[0].startswith("✗ a: 10 -> 1,000 states")
    assert text[-1] == "baseline: 3 difference(s), 1 fatal"


def test_findings_come_in_scenario_order():
    old = [result("z", states=10), result("gone"), result("a", states=10)]
    new = [result("a", states=1000), result("z", states=1000), result("new")]
    assert [(f.scenario, f.kind) for f in compare(old, new)] == [
        ("a", "states_changed"), ("z", "states_changed"), ("new", "scenario_added"), ("gone", "scenario_removed")]


# --- end to end ------------------------------------------------------------------


def run_json(scenario, out):
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", str(scenario), "--json", str(out)],
                       capture_output=True, text=True, cwd=scenario.parent)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, load_results(out)


def test_end_to_end_known_bug_lost(tmp_path):
    for f in EXAMPLES.glob("lost-update.*"):
        shutil.copy(f, tmp_path / f.name)
    scenario = tmp_path / "lost-update.toml"
    rc, old = run_json(scenario, tmp_path / "old.json")
    assert rc == 0
    rc, again = run_json(scenario, tmp_path / "again.json")
    assert compare(old, again) == []  # a rerun is no difference (timings are not compared)

    # "fix" the race: the plain counter becomes an atomic_t, so no update is lost
    c = tmp_path / "lost-update.c"
    src = c.read_text()
    for a, b in (("int hits __range(0, 2);", "atomic_t hits __range(0, 2);"),
                 ("\thits++;", "\tatomic_inc(&hits);"),
                 ("return hits == 2;", "return atomic_read(&hits) == 2;")):
        assert a in src
        src = src.replace(a, b)
    c.write_text(src)
    rc, new = run_json(scenario, tmp_path / "new.json")
    assert rc == 1  # the scenario itself fails: known bug no longer found

    fs = compare(old, new)
    gone = only(fs, "violation_gone")
    assert gone.fatal and gone.scenario == "lost-update" and "no_lost_update" in gone.message
    assert only(fs, "verdict_changed").message == "lost-update: verdict violated -> holds"
    # 48 states with the plain counter, 16 with the atomic one
    states = only(fs, "states_changed")
    assert states.fatal and "fewer" in states.message
    assert "states_changed" not in kinds(compare(old, new, threshold=5.0))


def test_examples_compare_with_themselves(tmp_path):
    """A result of shipped examples, loaded back, compares equal to itself."""
    out = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", "examples/seed-v1-null-deref.toml",
                        "examples/seed-merged.toml", "--json", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    results = load_results(out)
    assert compare(results, results) == []
