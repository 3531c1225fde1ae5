"""End-to-end: the CLI the way a user runs it."""

import json
import subprocess
import sys

from click.testing import CliRunner

from conftest import EXAMPLES, ROOT, write_scenario
from hugemc.cli import main


def hugemc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hugemc.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT)


def test_check_examples_exit_0():
    r = hugemc("check", "examples/")
    assert r.returncode == 0, r.stdout + r.stderr
    n = len(list(EXAMPLES.glob("*.toml")))
    assert f"{n} scenarios: {n} met their expectation" in r.stdout
    assert "Traceback" not in r.stderr


def test_json_output_and_trace_command(tmp_path):
    out = tmp_path / "r.json"
    r = hugemc("check", EXAMPLES / "seed-v1-null-deref.toml", "--format", "json", "--out", out)
    assert r.returncode == 0
    data = json.loads(out.read_text())
    assert data["hugemc"] and len(data["scenarios"]) == 1
    sc = data["scenarios"][0]
    assert sc["verdict"] == "violated" and sc["ok"] is True and sc["expected"] == ["null_deref"]
    v = sc["violations"][0]
    assert v["property"] == "null_deref" and v["kind"] == "null_deref"
    steps = v["trace"]["steps"]
    assert len(steps) == 2
    for s in steps:
        assert {"thread", "file", "line", "code", "changes"} <= set(s)
        assert all(isinstance(x, list) and len(x) == 2 for x in s["changes"].values())
    assert set(sc["stats"]) >= {"states", "transitions", "depth", "seconds", "states_per_second", "peak_rss_bytes"}
    assert sc["coverage"]
    t = hugemc("trace", out, "--no-color", "--width", "150")
    assert t.returncode == 0 and "null_deref" in t.stdout and "NULL pointer dereference" in t.stdout
    bad = hugemc("trace", out, "--violation", "null_defer")
    assert bad.returncode == 2 and "no violation 'null_defer'" in bad.stderr and "'null_deref'" in bad.stderr
    tj = hugemc("trace", out, "--format", "json")  # the interleaving graph, node-link JSON
    assert len(json.loads(tj.stdout)["nodes"]) == 2
    bad = hugemc("trace", out, "--violation", "nope")
    assert bad.returncode == 2


def test_regression_exit_1(tmp_path):
    p = write_scenario(tmp_path, "int c __range(0,2);\nvoid inc(void) { c++; }\nFINAL(two) { return c == 2; }\n",
                       {"t": ("inc()", 2)}, expect="holds")
    r = hugemc("check", p)
    assert r.returncode == 1
    assert "unexpected violation of two" in r.stdout


def test_known_bug_no_longer_found_exit_1(tmp_path):
    p = write_scenario(tmp_path, "atomic_t c __range(0,2);\nvoid inc(void) { atomic_inc(&c); }\n"
                       "FINAL(two) { return atomic_read(&c) == 2; }\n", {"t": ("inc()", 2)}, expect=["two"])
    r = hugemc("check", p)
    assert r.returncode == 1 and "known bug no longer found" in r.stdout


def test_incomplete_exit_3(tmp_path):
    r = hugemc("check", EXAMPLES / "seed-merged.toml", "--max-states", "5")
    assert r.returncode == 3
    assert "incomplete" in r.stdout
    r = hugemc("check", EXAMPLES / "seed-merged.toml", "--time-limit", "0.000001", "--format", "json")
    # a tiny limit may or may not trigger before the search ends; never "holds" when cut short
    sc = json.loads(r.stdout)["scenarios"][0]
    assert (sc["verdict"], r.returncode) in (("holds", 0), ("incomplete", 3))


def test_list_command():
    r = CliRunner().invoke(main, ["list"])
    assert r.exit_code == 0
    assert "no_ref_on_frozen" in r.output and "mm/buddy.c" in r.output and "seed-merged.toml" in r.output


def test_list_filters_by_name_and_skips_suite_files():
    r = CliRunner().invoke(main, ["list", "properties", "no_leak"])
    assert r.exit_code == 0 and "no_leak" in r.output and "no_ref_on_frozen" not in r.output
    r = CliRunner().invoke(main, ["list", "tracepoints", "dissolve"])
    assert "hugetlb_dissolved" in r.output and "mf_poisoned_raw" not in r.output
    r = CliRunner().invoke(main, ["list", "scenarios", "--dir", str(EXAMPLES / "ci")])
    assert r.exit_code == 0 and "hugemc.toml" not in r.output.split("\n", 1)[1]


def test_suite_from_pyproject(tmp_path):
    write_scenario(tmp_path, "int g;\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    (tmp_path / "pyproject.toml").write_text('[tool.hugemc]\nscenarios = ["*.toml"]\n')
    r = hugemc("check", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 scenario: 1 met" in r.stdout
    r = hugemc("check", cwd=tmp_path / "..")
    assert r.returncode == 2 and "no scenario given" in r.stderr


def test_code_with_brackets_is_not_markup(tmp_path):
    src = "int arr[3] __range(0, 1);\nvoid oob(void) { int i = 3; arr[i] = 1; }\n"
    p = write_scenario(tmp_path, src, {"t": "oob()"}, expect=["out_of_bounds"])
    r = hugemc("check", p, "--no-color", "--width", "200", "-v")
    assert r.returncode == 0
    assert "arr[i] = 1;" in r.stdout and "out of bounds" in r.stdout


def test_empty_suite_is_an_error(tmp_path):
    (tmp_path / "hugemc.toml").write_text('scenarios = ["nothing/*.toml"]\n')
    r = hugemc("check", cwd=tmp_path)
    assert r.returncode == 2 and "matches no scenario" in r.stderr


def test_max_depth_equal_to_depth_is_complete():
    assert hugemc("check", EXAMPLES / "lost-update.toml", "--max-depth", "6").returncode == 0
    assert hugemc("check", EXAMPLES / "lost-update.toml", "--max-depth", "5").returncode == 3
