"""Output a reviewer reads anywhere: paths, SARIF, GitHub annotations, JUnit counts, coverage summary, CI files."""

import json
import re
import shutil
import xml.etree.ElementTree as ET

from jsonschema import Draft4Validator, Draft202012Validator

from conftest import EXAMPLES, ROOT, write_scenario
from hugemc.diagnostics import display_path, is_library_path, library_relative, resolve_display_path
from hugemc.scenario import models_dir, prelude_dir, properties_dir
from test_ci_gate import hugemc, regression, sarif_schema

ABSOLUTE = re.compile(r'"/(?:[\w.-]+/)+[\w.-]+"')


def copied_example(tmp_path, name="seed-v1-null-deref.toml"):
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLES / name, tmp_path / "examples" / name)
    return f"examples/{name}"


# --- paths -------------------------------------------------------------------------------------------------


def test_display_path_library_and_user(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    buddy = models_dir() / "mm" / "buddy.c"
    assert display_path(buddy) == "mm/buddy.c" and library_relative(buddy) == "mm/buddy.c"
    assert display_path(properties_dir() / "refcount.c") == "refcount.c"
    assert display_path(prelude_dir() / "hugemc.h") == "hugemc.h"
    assert is_library_path(buddy) and not is_library_path(tmp_path / "m.c")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.c").write_text("")
    assert display_path(tmp_path / "sub" / "m.c") == "sub/m.c"
    assert display_path("sub/m.c") == "sub/m.c"          # idempotent
    assert display_path("/elsewhere/x.c") == "/elsewhere/x.c"  # outside the working directory: as given
    assert display_path("../x.c") == "../x.c"
    # back to the file: library names first, then the working directory
    assert resolve_display_path("mm/buddy.c") == models_dir() / "mm" / "buddy.c"
    assert resolve_display_path("hugemc.h") == prelude_dir() / "hugemc.h"
    assert resolve_display_path("sub/m.c") == tmp_path / "sub" / "m.c"


def test_json_run_elsewhere_has_no_absolute_path(tmp_path):
    rel = copied_example(tmp_path)
    r = hugemc("check", rel, "--format", "json", "--coverage", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not ABSOLUTE.findall(r.stdout), ABSOLUTE.findall(r.stdout)[:5]
    assert "site-packages" not in r.stdout and str(ROOT) not in r.stdout
    doc = json.loads(r.stdout)
    sc = doc["scenarios"][0]
    assert sc["file"] == rel
    steps = sc["violations"][0]["trace"]["steps"]
    assert steps[-1]["file"] == "mm/page_ref.h"
    assert "mm/hugetlb.c" in sc["coverage"] and "refcount.c" in {p["file"] for p in sc["properties"]}
    # every report of the same run
    for fmt in ("sarif", "github", "junit", "text"):
        out = hugemc("check", rel, "--format", fmt, "--coverage", cwd=tmp_path).stdout
        assert str(ROOT) not in out and "site-packages" not in out, fmt
        assert "mm/" in out, fmt


def test_html_reads_library_sources(tmp_path):
    rel = copied_example(tmp_path)
    html = tmp_path / "r.html"
    assert hugemc("check", rel, "--html", html, cwd=tmp_path).returncode == 0
    text = html.read_text()
    assert str(ROOT) not in text
    assert "page_ref_freeze" in text  # the source of mm/page_ref.h is embedded, found in the library
    assert '"mm/page_ref.h": null' not in text


def test_trace_dot_uses_library_paths(tmp_path):
    rel = copied_example(tmp_path)
    res = tmp_path / "r.json"
    assert hugemc("check", rel, "--json", res, cwd=tmp_path).returncode == 0
    dot = hugemc("trace", res, "--format", "dot", cwd=tmp_path).stdout
    assert "page_ref.h" in dot and str(ROOT) not in dot


# --- SARIF -------------------------------------------------------------------------------------------------


def _uris(obj):
    if isinstance(obj, dict):
        if "artifactLocation" in obj:
            yield obj["artifactLocation"]
        for v in obj.values():
            yield from _uris(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _uris(v)


def test_sarif_bases_fingerprints_rules_and_known_bugs(tmp_path):
    rel = copied_example(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    regression(tmp_path / "examples")
    runs = [hugemc("check", rel, "examples/s.toml", "--format", "sarif", "--coverage", cwd=tmp_path)
            for _ in range(2)]
    assert runs[0].returncode == 1
    sarif = json.loads(runs[0].stdout)
    assert not list(Draft4Validator(sarif_schema()).iter_errors(sarif))
    run = sarif["runs"][0]
    assert set(run["originalUriBaseIds"]) == {"%SRCROOT%", "HUGEMC_LIBRARY"}
    for loc in _uris(run["results"]):
        assert loc["uriBaseId"] in ("%SRCROOT%", "HUGEMC_LIBRARY"), loc
        assert not loc["uri"].startswith(("/", "file:")) and "site-packages" not in loc["uri"], loc
    res = {x["ruleId"]: x for x in run["results"]}
    nd = res["hugemc/null_deref"]
    # a known bug: a suppressed note, not an alert
    assert nd["level"] == "note" and nd["suppressions"][0]["kind"] == "external"
    assert nd["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "models/mm/page_ref.h",
                                                                          "uriBaseId": "HUGEMC_LIBRARY"}
    assert nd["relatedLocations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "examples/seed-v1-null-deref.toml", "uriBaseId": "%SRCROOT%"}
    two = res["hugemc/two"]
    assert two["level"] == "error" and "suppressions" not in two
    assert two["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "examples/m.c",
                                                                           "uriBaseId": "%SRCROOT%"}
    # one coverage warning per scenario, not one per line
    assert sum(x["ruleId"] == "hugemc/unreached-code" for x in run["results"]) == 1
    # real rule descriptions
    rules = {r["id"]: r["shortDescription"]["text"] for r in run["tool"]["driver"]["rules"]}
    assert rules["hugemc/null_deref"] == "A thread dereferences a NULL pointer."
    assert rules["hugemc/two"] and rules["hugemc/two"] != "final"
    # stable fingerprints
    again = json.loads(runs[1].stdout)["runs"][0]["results"]
    fp = [x["partialFingerprints"]["hugemc/v1"] for x in run["results"]]
    assert fp == [x["partialFingerprints"]["hugemc/v1"] for x in again]
    assert len(set(fp)) == len(fp)


def test_sarif_property_description(tmp_path):
    src = """
    int c __range(0,2);
    void inc(void) { c++; }
    /* both increments are counted */
    FINAL(two) { return c == 2; }
    """
    p = write_scenario(tmp_path, src, {"t": ("inc()", 2)})
    sarif = json.loads(hugemc("check", p, "--format", "sarif", cwd=tmp_path).stdout)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["hugemc/two"]["shortDescription"]["text"] == "both increments are counted"


# --- input errors at their line ----------------------------------------------------------------------------


def test_compile_error_annotated_at_its_line(tmp_path):
    p = write_scenario(tmp_path, "int c __range(0,2);\nvoid inc(void)\n{\n\tatomic_incr(&c);\n}\n", {"t": "inc()"})
    r = hugemc("check", p.name, "--format", "github", cwd=tmp_path)
    assert r.returncode == 2
    assert re.match(r"::error file=m\.c,line=4,col=\d+,title=hugemc%3A s::m\.c:4:", r.stdout), r.stdout
    doc = json.loads(hugemc("check", p.name, "--format", "json", cwd=tmp_path).stdout)
    sc = doc["scenarios"][0]
    assert sc["error_location"]["file"] == "m.c" and sc["error_location"]["line"] == 4
    schema = json.loads((ROOT / "hugemc" / "schema" / "result.schema.json").read_text())
    assert not list(Draft202012Validator(schema).iter_errors(doc))
    sarif = json.loads(hugemc("check", p.name, "--format", "sarif", cwd=tmp_path).stdout)
    region = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "m.c" and region["region"]["startLine"] == 4
    # an error in the TOML itself: at the TOML line
    (tmp_path / "bad.toml").write_text('models = ["m.c"]\nproperties = ["no_such"]\n[threads]\nt = "inc()"\n')
    r = hugemc("check", "bad.toml", "--format", "github", cwd=tmp_path)
    assert r.stdout.startswith("::error file=bad.toml,line=2"), r.stdout


def test_error_location_survives_json_round_trip(tmp_path):
    from hugemc.report import load_results
    p = write_scenario(tmp_path, "void inc(void) { nope(); }\n", {"t": "inc()"})
    out = tmp_path / "r.json"
    hugemc("check", p.name, "--json", out, cwd=tmp_path)
    r = load_results(out)[0]
    assert (r.error_file, r.error_line) == ("m.c", 1) and r.error_col > 0


# --- JUnit -------------------------------------------------------------------------------------------------


def _counts(xml: str):
    suite = ET.fromstring(xml).find("testsuite")
    cases = suite.findall("testcase")
    return suite, cases, {c.get("name"): c for c in cases}


def test_junit_counts_each_failure_once(tmp_path):
    p = regression(tmp_path)
    r = hugemc("check", p, "--format", "junit")
    suite, cases, by = _counts(r.stdout)
    assert suite.get("tests") == str(len(cases))
    assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases)) == "1"
    assert suite.get("errors") == "0"
    assert by["s.two"].find("failure") is not None and by["s"].find("failure") is None
    # a problem no property carries fails the scenario's own case
    r = hugemc("check", EXAMPLES / "seed-merged.toml", "--max-states", "10", "--format", "junit")
    suite, cases, by = _counts(r.stdout)
    assert suite.get("failures") == "1" and "search cut short" in by["seed-merged"].find("failure").get("message")
    # an input error is one error
    (tmp_path / "b").mkdir()
    bad = write_scenario(tmp_path / "b", "void f(void) { nope(); }\n", {"t": "f()"}, name="bad")
    suite, cases, _ = _counts(hugemc("check", bad, p, "--format", "junit").stdout)
    assert suite.get("errors") == "1" and suite.get("failures") == "1"
    assert suite.get("tests") == str(len(cases))


# --- coverage summary --------------------------------------------------------------------------------------


def test_coverage_one_summary_per_scenario():
    args = ["check", EXAMPLES / "seed-v1-null-deref.toml", EXAMPLES / "lost-update.toml", "--coverage"]
    gh = hugemc(*args, "--format", "github").stdout
    warnings = [ln for ln in gh.splitlines() if ln.startswith("::warning")]
    assert len(warnings) == 1, warnings  # lost-update runs every line
    assert re.search(r"seed-v1-null-deref: coverage: \d+%25 of model lines ran \(\d+ of \d+\); never ran: mm/",
                     warnings[0])
    text = hugemc(*args, "--no-color", "--width", "200").stdout
    cov = [ln for ln in text.splitlines() if "coverage:" in ln]
    assert len(cov) == 2, cov
    assert re.search(r"mm/hugetlb\.c:\d+-\d+", cov[0] + cov[1])


def test_coverage_summary_ranges():
    from hugemc.report.coverage import summarize
    detail = {"hits": {"a.c": {"1": 3, "5": 1}},
              "unreached": {"t": {"a.c": [2, 3, 4, 7, 9]}, "u": {"a.c": [5]}}}
    s = summarize(detail)
    assert s.startswith("coverage: 28% of model lines ran (2 of 7)")
    assert "never ran: a.c:2-4,7-9" in s and "not by thread u: a.c:5" in s
    assert "and 1 more range(s)" in summarize(detail, 1)


# --- CI files ----------------------------------------------------------------------------------------------


def test_ci_examples_install_from_the_repository():
    wf = (ROOT / "examples" / "ci" / "github-workflow.yml").read_text()
    assert "actions/checkout@v4" in wf and "actions/setup-python@v5" in wf
    assert "github/codeql-action/upload-sarif@v3" in wf
    assert "pip install hugemc\n" not in wf and "git+https://" in wf
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert re.search(r"^- id: hugemc-check$", hooks, re.M)
    assert re.search(r"^  language: python$", hooks, re.M)
    assert re.search(r"^  entry: hugemc check .*--width 100", hooks, re.M)
    cfg = (ROOT / "examples" / "ci" / "pre-commit-config.yaml").read_text()
    assert "id: hugemc-check" in cfg and "pip install hugemc" not in cfg


def _hostile_results():
    """A violated scenario whose name holds an ESC sequence and a newline, and an input error quoting
    raw control bytes: untrusted text as a pull request can write it."""
    from hugemc.result import ScenarioResult, Stats, Trace, TraceStep, Violation
    name = "a/b\x1b[31mRED\x1b[0m\nline2"
    step = TraceStep(1, "t\x07", "m.c", 2, "x = 1; /* \x1b]0;title\x07 */", {"x\x1b": [0, 1]},
                     messages=["msg \x00\x0b\x1f\x7f\x85\u202e\ufffe"])
    v = Violation("p", "invariant", "bad \x1b[2J", Trace({"x": 0}, [step], {"x": 1}), "m.c", 2)
    bad = ScenarioResult(name=name, file="s.toml", verdict="violated", expected="holds", ok=False, violations=[v],
                         problems=["unexpected violation of p: bad \x1b[2J"], stats=Stats(states=2))
    err = ScenarioResult(name="binary", file="binary.toml", verdict="error", expected="holds", ok=False,
                         error="binary.toml:1:1: error: not UTF-8\n 1 | \x16\x17\x1b[5m\x00zz\n   | ^\nhint: h",
                         error_file="binary.toml", error_line=1, error_col=1)
    return [bad, err]


CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\ufffe\uffff]")


def test_junit_and_github_show_control_characters_as_escapes():
    from hugemc.report.github import github_annotations
    from hugemc.report.junit import junit_xml
    xml = junit_xml(_hostile_results())
    root = ET.fromstring(xml.encode("utf-8"))  # well-formed XML 1.0
    assert not CONTROL.search(xml)
    names = [c.get("name") for c in root.iter("testcase")]
    assert names[0] == "a/b\\x1b[31mRED\\x1b[0m\\nline2"
    assert "\\x16\\x17\\x1b[5m\\x00zz" in xml and "\\u202e" in xml
    gh = github_annotations(_hostile_results())
    assert not CONTROL.search(gh)
    assert len(gh.splitlines()) == 2  # one command each: no newline broke out of one
    assert "a/b\\x1b[31mRED\\x1b[0m\\nline2: p (invariant): bad \\x1b[2J" in gh
