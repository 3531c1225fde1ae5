"""Bad input: file:line:col, the line with a caret, a hint, exit 2, never a traceback."""

import re
import subprocess
import sys

from click.testing import CliRunner

from conftest import write_scenario
from hugemc.cli import main

GOOD_C = """
int g __range(0, 3);
void t(void) { g = 1; }
INVARIANT(fine) { return g < 3; }
"""


def run_cli(*args):
    r = CliRunner().invoke(main, ["check", "--no-color", *map(str, args)])
    assert not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, re.sub(r"\n {4,}(?=\S)", " ", r.output)  # wrapped at 80 columns: join the lines again


def assert_diagnostic(out: str, file_suffix: str, line: int, hint_words: str = ""):
    m = re.search(r"(\S+):(\d+):(\d+): error: (.+)", out)
    assert m, out
    assert m.group(1).endswith(file_suffix) and int(m.group(2)) == line, out
    assert re.search(r"^\s*\d* \|.*\n\s*\|\s*\^", out, re.M), out  # source line and caret
    assert "hint:" in out, out
    if hint_words:
        assert hint_words in out, out
    assert "Traceback" not in out


def test_broken_c(tmp_path):
    p = write_scenario(tmp_path, GOOD_C.replace("g = 1;", "g = = 1;"), {"t": "t()"})
    code, out = run_cli(p)
    assert code == 2
    assert_diagnostic(out, "m.c", 3)
    assert "syntax error" in out


def test_unsupported_construct(tmp_path):
    src = GOOD_C + "union u { int a; int b; };\n"
    code, out = run_cli(write_scenario(tmp_path, src, {"t": "t()"}))
    assert code == 2
    assert_diagnostic(out, "m.c", 5, "use a struct")
    src = GOOD_C + "void f(void) { float x; }\n"
    code, out = run_cli(write_scenario(tmp_path, src, {"t": "f()"}))
    assert code == 2 and "floating point" in out


def test_unknown_function_with_suggestion(tmp_path):
    src = GOOD_C.replace("g = 1;", "atomic_incr(&g);")
    code, out = run_cli(write_scenario(tmp_path, src, {"t": "t()"}))
    assert code == 2
    assert_diagnostic(out, "m.c", 3, "atomic_inc")


def test_recursion_is_an_error(tmp_path):
    src = GOOD_C + "void r(int n) { if (n) r(n - 1); }\n"
    code, out = run_cli(write_scenario(tmp_path, src, {"t": "r(2)"}))
    assert code == 2 and "recursion" in out


def test_unknown_property(tmp_path):
    p = write_scenario(tmp_path, GOOD_C, {"t": "t()"}, extra='properties = ["fien"]')
    code, out = run_cli(p)
    assert code == 2
    assert_diagnostic(out, "s.toml", 4, "fine")


def test_unknown_thread_entry(tmp_path):
    p = write_scenario(tmp_path, GOOD_C, {"t": "tt()"})
    code, out = run_cli(p)
    assert code == 2
    assert_diagnostic(out, "s.toml", 6)
    assert "unknown function 'tt'" in out


def test_malformed_toml(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('models = ["m.c"\nexpect = "holds"\n')
    code, out = run_cli(p)
    assert code == 2
    m = re.search(r"bad.toml:(\d+):(\d+): error: malformed TOML", out)
    assert m, out
    assert "hint:" in out and "Traceback" not in out


def test_unknown_scenario_key(tmp_path):
    p = write_scenario(tmp_path, GOOD_C, {"t": "t()"}, extra='expext = "holds"')
    code, out = run_cli(p)
    assert code == 2
    assert_diagnostic(out, "s.toml", 4, "expect")


def test_missing_files(tmp_path):
    code, out = run_cli(tmp_path / "nope.toml")
    assert code == 2 and "not found" in out and "hint:" in out
    p = tmp_path / "s.toml"
    p.write_text('models = ["missing.c"]\n[threads]\nt = "t()"\n')
    code, out = run_cli(p)
    assert code == 2
    assert_diagnostic(out, "s.toml", 1, "searched")


def test_missing_include(tmp_path):
    src = '#include "nothere.h"\n' + GOOD_C
    code, out = run_cli(write_scenario(tmp_path, src, {"t": "t()"}))
    assert code == 2
    assert_diagnostic(out, "m.c", 1)


def test_bad_range_annotation(tmp_path):
    src = GOOD_C.replace("__range(0, 3)", "__range(3, 0)")
    code, out = run_cli(write_scenario(tmp_path, src, {"t": "t()"}))
    assert code == 2 and "empty domain" in out


def test_property_with_side_effect(tmp_path):
    src = GOOD_C + "INVARIANT(bad) { g = 2; return true; }\n"
    code, out = run_cli(write_scenario(tmp_path, src, {"t": "t()"}))
    assert code == 2 and "changes the state" in out


def test_real_entry_point_no_traceback(tmp_path):
    p = write_scenario(tmp_path, "int x = ;\n", {"t": "t()"})
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", str(p)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stdout + r.stderr and "error:" in r.stdout + r.stderr


def test_const_sizes_and_initial_value_outside_domain(tmp_path):
    ok = "static const int N = 3;\nint a[N] __range(0, 2);\nvoid t(void) { a[N - 1] = 2; }\n"
    code, out = run_cli(write_scenario(tmp_path, ok, {"t": "t()"}))
    assert code == 0, out
    bad = "int g __range(0, 3) = 5;\nvoid t(void) { g = 1; }\n"
    code, out = run_cli(write_scenario(tmp_path, bad, {"t": "t()"}))
    assert code == 2
    assert_diagnostic(out, "m.c", 1, "widen the domain")


def test_bad_bounds_and_unmatched_domain_override(tmp_path):
    p = write_scenario(tmp_path, GOOD_C, {"t": "t()"}, extra="[check]\ntime_limit = -1")
    code, out = run_cli(p)
    assert code == 2 and "bad value in [check]" in out
    p = write_scenario(tmp_path, GOOD_C, {"t": "t()"}, extra='[domains]\n"gg" = [0, 1]')
    code, out = run_cli(p)
    assert code == 2
    assert_diagnostic(out, "s.toml", 5)
    assert "matches no global slot" in out
