"""The terminal text report: widths, quiet success and loud failure, steps that say what happened,
flags by bit names, final states, the README sample, witnesses in ``hugemc trace``, FINAL marks in
``hugemc graph``."""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT, write_scenario
from hugemc.cli import no_color

FORGET = EXAMPLES / "mutant-forget-page.toml"


def hugemc(*args, cwd=None, env=None):
    e = dict(os.environ)
    e.pop("COLUMNS", None)
    e.pop("NO_COLOR", None)
    e.pop("FORCE_COLOR", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "hugemc.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=e)


def widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def failing_copy(tmp_path, src=FORGET, name="mutant-x"):
    """``src`` with its expectation turned to "holds": a scenario that fails."""
    text = re.sub(r"(?m)^expect = .*$", 'expect = "holds"', src.read_text())
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


# --- 1. text at any width ------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 100, 140])
def test_no_line_wider_than_width(width):
    r = hugemc("check", FORGET, "--width", width, "-v", "--no-color")
    assert r.returncode == 0, r.stderr
    assert "no_leak" in r.stdout and "#7" in r.stdout or "│ 7 │" in r.stdout
    assert widest(r.stdout) <= width, [ln for ln in r.stdout.splitlines() if len(ln) > width]


def test_narrow_layout_is_blocks_and_never_splits_words():
    r = hugemc("check", FORGET, "--width", 80, "-v", "--no-color")
    out = r.stdout
    assert "┃" not in out and "│" not in out  # no table below 120 columns
    assert "  #1 alloc  mm/buddy.c:" in out or "  #1 alloc  models/mm/buddy.c:" in out
    # each change on its own line, whole
    assert re.search(r"(?m)^ +pages\[0\]\._refcount: 0→1$", out)
    assert re.search(r"(?m)^ +pages\[0\]\.compound_dtor: NULL_COMPOUND_DTOR→COMPOUND_PAGE_DTOR$", out)
    # no word was broken: every word of the code lines is found whole
    for word in ("atomic_cmpxchg(&page->_refcount,", "READ_ONCE(page->first_page);"):
        assert word in out


def test_wide_layout_is_a_table():
    r = hugemc("check", FORGET, "--width", 140, "-v", "--no-color")
    assert "┃ # ┃ thread" in r.stdout


def test_pipe_uses_columns_else_80(tmp_path):
    r = hugemc("check", FORGET, "-v", env={"COLUMNS": "80"})
    assert r.returncode == 0 and widest(r.stdout) <= 80
    r = hugemc("check", FORGET, "-v")
    assert widest(r.stdout) <= 80
    r = hugemc("check", FORGET, "-v", env={"COLUMNS": "100"})
    assert 80 < widest(r.stdout) <= 100


def test_out_file_is_100_wide_unless_width(tmp_path):
    out = tmp_path / "r.txt"
    failing_copy(tmp_path)
    r = hugemc("check", "mutant-x.toml", "--out", out, cwd=tmp_path)
    assert r.returncode == 1
    text = out.read_text()
    assert "FAILED mutant-x" in text and widest(text) <= 100 and "\x1b[" not in text
    r = hugemc("check", "mutant-x.toml", "--out", out, "--width", 60, cwd=tmp_path)
    assert widest(out.read_text()) <= 60


def test_failure_detail_fits_80(tmp_path):
    failing_copy(tmp_path)
    r = hugemc("check", "mutant-x.toml", "--width", 80, cwd=tmp_path)
    assert r.returncode == 1
    assert widest(r.stdout) <= 80


@pytest.mark.parametrize("cmd", ["check", "trace"])
def test_width_below_40_is_an_input_error(cmd, tmp_path):
    arg = FORGET if cmd == "check" else tmp_path / "none.json"
    r = hugemc(cmd, arg, "--width", 39)
    assert r.returncode == 2
    assert "--width" in r.stderr and "40" in r.stderr and "Traceback" not in r.stderr


def test_no_color_env():
    assert no_color(False) and not no_color(True)
    env_before = os.environ.pop("NO_COLOR", None)
    try:
        assert not no_color(None)
        os.environ["NO_COLOR"] = ""
        assert no_color(None) and not no_color(True)
    finally:
        os.environ.pop("NO_COLOR", None)
        if env_before is not None:
            os.environ["NO_COLOR"] = env_before
    forced = hugemc("check", FORGET, env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    off = hugemc("check", FORGET, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in off.stdout and "mutant-forget-page" in off.stdout


# --- 2. quiet success, loud failure -------------------------------------------------------------


def test_success_is_one_line_per_scenario():
    files = [EXAMPLES / "seed-merged.toml", FORGET, EXAMPLES / "lost-update.toml"]
    r = hugemc("check", *files, "--width", 80)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 4, r.stdout
    assert re.fullmatch(r"✓ seed-merged  holds  [\d,]+ states  \d+\.\d\d s", lines[0])
    assert lines[1].startswith("✓ mutant-forget-page  violated no_leak  114 states  ")
    assert lines[-1] == "3 scenarios: 3 met their expectation, 0 did not"


def test_quiet_prints_only_failures_and_summary(tmp_path):
    r = hugemc("check", EXAMPLES / "seed-merged.toml", "-q")
    assert r.stdout.splitlines() == ["1 scenario: 1 met their expectation, 0 did not"]
    r = hugemc("check", EXAMPLES / "seed-merged.toml", failing_copy(tmp_path), "-q", "--width", 100)
    assert r.returncode == 1
    assert "seed-merged" not in r.stdout
    assert "✗ mutant-x" in r.stdout and "#7 scanner" in r.stdout


def test_failure_is_loud_and_summarised(tmp_path):
    r = hugemc("check", EXAMPLES / "seed-merged.toml", failing_copy(tmp_path), "--width", 100)
    assert r.returncode == 1
    out = r.stdout
    assert "✓ seed-merged  holds" in out
    assert "✗ mutant-x" in out and "problem: unexpected violation of no_leak" in out
    assert "#1 alloc" in out  # the counterexample of the failure
    assert re.search(r"(?m)^FAILED mutant-x: unexpected violation of no_leak: ", out)
    assert out.rstrip().splitlines()[-1] == "2 scenarios: 1 met their expectation, 1 did not"


def test_verbose_prints_every_counterexample_and_witness():
    r = hugemc("check", EXAMPLES / "seed-merged.toml", FORGET, "-v", "--width", 100)
    assert "#7 scanner" in r.stdout  # the expected violation's counterexample
    assert "reached by:" in r.stdout  # a witness of seed-merged


def test_input_error_is_a_failure_in_the_summary(tmp_path):
    p = write_scenario(tmp_path, "int g;\nvoid t(void) { g = 1; }\n", {"t": "t()"},
                       extra='properties = ["nope"]', name="bad")
    r = hugemc("check", p.name, cwd=tmp_path)
    assert r.returncode == 2
    assert "✗ bad" in r.stdout and "FAILED bad: bad.toml:" in r.stdout and "nope" in r.stdout


# --- 3. steps that say what happened ----------------------------------------------------------------


@pytest.fixture(scope="module")
def forget_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("j") / "r.json"
    r = hugemc("check", FORGET, "--json", out)
    assert r.returncode == 0
    return json.loads(out.read_text())


def test_block_step_shows_the_line_that_changed_state(forget_json):
    v = forget_json["scenarios"][0]["violations"][0]
    s1 = v["trace"]["steps"][0]
    assert s1["code"] != "ATOMIC {" and s1["site"]["code"] == "ATOMIC {"
    assert s1["site"]["line"] != s1["line"]
    # a block that changed nothing stays at its own line, without a site
    s5 = v["trace"]["steps"][4]
    assert s5["code"] == "ATOMIC {" and "site" not in s5


def test_no_op_writes_are_dropped(forget_json):
    for v in forget_json["scenarios"][0]["violations"]:
        for s in v["trace"]["steps"]:
            for slot, (a, b) in s["changes"].items():
                assert a != b, (s["index"], slot)


def test_flags_by_bit_names(forget_json):
    s1 = forget_json["scenarios"][0]["violations"][0]["trace"]["steps"][0]
    assert s1["changes"]["pages[0].flags"] == ["PG_buddy", "PG_head"]
    assert s1["changes"]["pages[1].flags"] == ["PG_buddy", 0]  # 0 stays 0


def test_final_state_of_a_final_violation(forget_json):
    v = forget_json["scenarios"][0]["violations"][0]
    assert v["kind"] == "final"
    assert v["final_state"]["pages[0].ghost_where"] == "WHERE_OWNED"
    assert set(v["final_state"]) <= set(v["focus"])
    r = hugemc("check", FORGET, "-v", "--width", 80)
    assert "final state that violates no_leak:" in r.stdout


FLAGS_SRC = """\
enum bits { B_a, B_b, B_c, __NR_BITS };
struct obj { int flags __flags(bits) __range(0, 15); };
struct obj o;
unsigned long word __range(0, 15) __flags(bits);
void t(void) { o.flags = 6; word = 9; }
INVARIANT(small) { return o.flags != 6; }
"""


def test_flags_annotation(tmp_path):
    from hugemc.lang import build_program
    from hugemc.scenario import load_scenario
    p = write_scenario(tmp_path, FLAGS_SRC, {"t": "t()"}, expect=["small"])
    prog = build_program(load_scenario(p))
    slot = next(s for s in prog.slots if s.name == "o.flags")
    assert slot.bit_labels == ((0, "B_a"), (1, "B_b"), (2, "B_c")) and (slot.lo, slot.hi) == (0, 15)
    out = tmp_path / "r.json"
    r = hugemc("check", p, "--json", out)
    assert r.returncode == 0, r.stdout + r.stderr
    step = json.loads(out.read_text())["scenarios"][0]["violations"][0]["trace"]["steps"][0]
    assert step["changes"]["o.flags"] == [0, "B_b|B_c"]


def test_flags_annotation_unknown_enum(tmp_path):
    p = write_scenario(tmp_path, "int w __flags(nosuch);\nvoid t(void) { w = 1; }\n", {"t": "t()"})
    r = hugemc("check", p)
    assert r.returncode == 2
    assert "__flags(nosuch)" in r.stdout + r.stderr and "Traceback" not in r.stderr


def test_show_value_unnamed_bit():
    from hugemc.explore.trace import flag_names
    assert flag_names(0b1010, ((1, "X"),)) == "X|8"


# --- 4. the README sample ---------------------------------------------------------------------------


def test_readme_sample_is_current_output():
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"```\n\$ (hugemc check [^\n]+)\n(.*?)```", readme, re.S)
    assert m, "the README's sample output block"
    args = m.group(1).split()[1:]
    shown = m.group(2)
    r = hugemc(*args)
    assert r.returncode == 0

    def norm(text: str) -> str:
        # the statistics paragraph varies with the machine: compare it with the figures masked
        head, sep, tail = text.partition("states, ")
        tail = " ".join(tail.split())
        tail = re.sub(r"\d[\d,.]* s\b", "T s", tail)
        tail = re.sub(r"[\d,]+ states/s", "R states/s", tail)
        tail = re.sub(r"peak RSS [\d.]+ \w+", "peak RSS M", tail)
        # which engine searched depends on the build cache (a small model: Python until the C is built)
        tail = tail.replace(", python engine", "")
        tail = re.sub(r" engine: .*?(?= \d+ scenarios?:)", "", tail)
        return head + sep + tail
    assert norm(r.stdout) == norm(shown)


def test_readme_does_not_sell_por_for_fitting():
    readme = (ROOT / "README.md").read_text()
    assert "Options that make big models fit" not in readme
    assert "a few seconds" not in readme


# --- 5. trace renders witnesses, graph marks FINAL violations ----------------------------------------


def test_trace_renders_a_witness(tmp_path):
    out = tmp_path / "r.json"
    hugemc("check", EXAMPLES / "seed-merged.toml", "--json", out)
    r = hugemc("trace", out, "--width", 80)
    assert r.returncode == 2 and "--witness" in r.stderr and "freeze_failed_then_retried" in r.stderr
    r = hugemc("trace", out, "--witness", "freeze_failed_then_retried", "--width", 80)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("seed-merged: freeze_failed_then_retried (reachable)")
    assert "#1 alloc" in r.stdout and widest(r.stdout) <= 80
    r2 = hugemc("trace", out, "--violation", "freeze_failed_then_retried", "--width", 80)
    assert r2.returncode == 0 and r2.stdout == r.stdout
    r3 = hugemc("trace", out, "--witness", "freeze_failed_then_retried", "--format", "mermaid")
    assert r3.returncode == 0 and "sequenceDiagram" in r3.stdout


def test_graph_marks_final_violations():
    r = hugemc("graph", EXAMPLES / "lost-update.toml", "--format", "json")
    assert r.returncode == 0, r.stderr
    nodes = json.loads(r.stdout)["nodes"]
    bad = [n for n in nodes if n["final"] and n["violating"]]
    assert bad and all("no_lost_update" in n["violates"] for n in bad)
    assert all(not n["violating"] for n in nodes if not n["final"] and not str(n["id"]).startswith("error"))


def test_control_characters_in_names_and_sources_are_escaped():
    """An ESC or a newline in a scenario name, raw bytes in a quoted source line: shown as escapes."""
    import io
    from rich.console import Console
    from hugemc.report.text import render_results
    from test_ci_formats import CONTROL, _hostile_results
    buf = io.StringIO()
    render_results(Console(file=buf, no_color=True, width=80), _hostile_results(), verbose=True)
    out = buf.getvalue()
    assert not CONTROL.search(out), repr(CONTROL.search(out))
    assert "✗ a/b\\x1b[31mRED\\x1b[0m\\nline2  s.toml" in out  # the summary line stays one line
    assert " 1 | \\x16\\x17\\x1b[5m\\x00zz" in out and "x = 1; /* \\x1b]0;title\\x07 */" in out
    assert widest(out) <= 80


def test_diagnostic_quotes_control_bytes_as_escapes_caret_aligned(tmp_path):
    from hugemc.diagnostics import HugemcError, SourceLoc
    f = tmp_path / "x.c"
    f.write_bytes(b"a\x1b[31mb oops\n")
    text = HugemcError("bad", SourceLoc(str(f), 1, 9)).render()
    quote, caret = text.splitlines()[1:3]
    assert quote.endswith("| a\\x1b[31mb oops") and "\x1b" not in text
    assert caret.index("^") == quote.index("oops")


def test_long_tokens_and_coverage_wrap_at_80():
    """A flags change with no space, a coverage list: broken after | → , ; at 80 columns."""
    import io
    from rich.console import Console
    from hugemc.report.text import print_wrapped, render_unreached
    from hugemc.result import ScenarioResult
    buf = io.StringIO()
    console = Console(file=buf, no_color=True, width=80)
    flags = "pages[1].flags: PG_head|PG_vmemmap_optimized→PG_head|PG_hugetlb_freed|PG_vmemmap_optimized"
    print_wrapped(console, flags, 8, hang=4)
    unreached = {"alloc": {"mm/hugetlb.c": list(range(100, 400, 3))}, "free": {"mm/buddy.c": list(range(1, 90, 2))}}
    r = ScenarioResult(name="s", file="s.toml", verdict="holds", expected="holds", ok=True,
                       coverage_detail={"hits": {"mm/hugetlb.c": {"99": 1}}, "unreached": unreached})
    render_unreached(console, r)
    out = buf.getvalue()
    assert widest(out) <= 80, out
    assert "PG_head|PG_vmemmap_optimized→PG_head|PG_hugetlb_freed|" in out.splitlines()[0]
    assert "".join(x.strip() for x in out.splitlines()[:2]).replace(" ", "") == flags.replace(" ", "")
    assert out.count("coverage:") == 1 and len(out.splitlines()) > 3


def test_diagnostics_fit_80_columns(tmp_path):
    """Hints, long messages and quoted lines of a diagnostic: no line wider than 80 on a pipe."""
    from hugemc.diagnostics import HugemcError, SourceLoc, fit_diagnostic
    from hugemc.scenario import refused_hint
    f = tmp_path / "x.toml"
    f.write_text("models = [" + '"a.c", ' * 60 + "]\n")
    e = HugemcError("model file 'passwd.c' is outside the allowed folders and this message goes on and on",
                    SourceLoc(str(f), 1, 300), hint=refused_hint("model and property files"))
    text = fit_diagnostic(e.render(), 80)
    assert widest(text) <= 80
    assert " ".join(text.split()) .count("/proc, /sys and /dev never") == 1
    quote = next(i for i, x in enumerate(text.splitlines()) if x.startswith(" 1 | "))
    q, caret = text.splitlines()[quote:quote + 2]
    assert q.endswith("…") and caret.rstrip().endswith("^") and q[caret.index("^")] == f.read_text()[299]  # still under column 300
    (tmp_path / "m.c").write_text("void t(void) { }\n")
    s = tmp_path / "s.toml"
    s.write_text('models = ["m.c"]\n[threads]\nworker = { call = "t()", count = 1000000000 }\n')
    r = hugemc("check", "--no-color", str(s), cwd=tmp_path)
    assert r.returncode == 2 and "cannot be meant" in r.stdout
    assert widest(r.stdout) <= 80 and widest(r.stderr) <= 80
