"""Bad input gets exit 2 and a located diagnostic, never a traceback (the first items of issue 12)."""

import subprocess
import sys

import pytest

from conftest import write_scenario
from hugemc.diagnostics import HugemcError
from hugemc.lang import build_program
from hugemc.scenario import load_scenario


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hugemc.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_non_utf8_scenario_is_located(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_bytes(b'models = ["m.c"]\n# caf\xe9\nexpect = "holds"\n')
    with pytest.raises(HugemcError, match="not UTF-8") as e:
        load_scenario(p)
    assert (e.value.loc.line, e.value.loc.col) == (2, 6)
    r = run_cli("check", str(p))
    assert r.returncode == 2 and "Traceback" not in r.stdout + r.stderr


def test_duplicate_case_label_is_an_error(tmp_path):
    src = "int g __range(0, 3);\nvoid t(void) { switch (g) { case 1: g = 2; break; case 1: g = 3; break; } }\n"
    p = write_scenario(tmp_path, src, {"t": "t()"})
    with pytest.raises(HugemcError, match="duplicate case value 1"):
        build_program(load_scenario(p))


def test_include_folder_must_exist(tmp_path):
    src = "int g __range(0, 3);\nvoid t(void) { g = 1; }\n"
    p = write_scenario(tmp_path, src, {"t": "t()"})
    r = run_cli("check", "-I", str(tmp_path / "missing"), str(p))
    assert r.returncode == 2 and "does not exist" in r.stderr


# -- a model cannot read what it should not ----------------------------------------------------

def _scenario(tmp_path, text, c_src="void t(void) { }\n"):
    (tmp_path / "m.c").write_text(c_src)
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def test_model_outside_the_allowed_folders_is_refused(tmp_path):
    p = _scenario(tmp_path, 'models = ["/etc/passwd"]\nexpect = "holds"\n[threads]\nt = "t()"\n')
    with pytest.raises(HugemcError, match="outside the allowed folders") as e:
        load_scenario(p)
    assert "root:" not in e.value.render()  # nothing of the file is echoed


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd"])
def test_include_outside_the_allowed_folders_is_refused(tmp_path, target):
    p = _scenario(tmp_path, 'models = ["m.c"]\nexpect = "holds"\n[threads]\nt = "t()"\n',
                  f'#include "{target}"\nvoid t(void) {{ }}\n')
    with pytest.raises(HugemcError, match="refused") as e:
        build_program(load_scenario(p))
    text = e.value.render()
    assert "PATH=" not in text and "root:" not in text
    r = run_cli("check", str(p))
    assert r.returncode == 2 and "PATH=" not in r.stdout + r.stderr


def test_symlink_out_of_the_project_is_refused(tmp_path):
    (tmp_path / "evil.c").symlink_to("/etc/passwd")
    p = _scenario(tmp_path, 'models = ["evil.c"]\nexpect = "holds"\n[threads]\nt = "t()"\n')
    with pytest.raises(HugemcError, match="outside the allowed folders"):
        load_scenario(p)


def test_include_through_a_thread_call_is_refused(tmp_path):
    p = _scenario(tmp_path, 'models = ["m.c"]\nexpect = "holds"\n[threads]\n'
                            't = """t();\n#include "/etc/passwd"\n"""\n')
    with pytest.raises(HugemcError, match="one C call on one line"):
        load_scenario(p)
    p = _scenario(tmp_path, 'models = ["m.c"]\nexpect = "holds"\ninit = "t() # x"\n[threads]\nt = "t()"\n')
    with pytest.raises(HugemcError, match="one C call on one line"):
        load_scenario(p)


@pytest.mark.parametrize("call,why", [
    ("t(); } INVARIANT(injected) { return 0; } void z(void) { t()", "a ';'"),
    ("t(); t()", "a ';'"),
    ("", "function name"),
    ("t() /*", "a comment"),
    ("t() + 1", "after the call"),
    ("t(1", "not closed"),
])
def test_a_thread_call_is_one_call(tmp_path, call, why):
    """A thread's call is compiled as a function body: it must not end that body, define code or hide text."""
    p = _scenario(tmp_path, f'models = ["m.c"]\nexpect = "holds"\n[threads]\nt = "{call}"\n')
    with pytest.raises(HugemcError, match="one C call such as") as e:
        load_scenario(p)
    assert why in str(e.value) and e.value.loc.line == 4 and e.value.hint
    r = run_cli("check", str(p))
    assert r.returncode == 2 and "Traceback" not in r.stdout + r.stderr


def test_deeply_nested_toml_is_located(tmp_path):
    p = _scenario(tmp_path, 'models = ["m.c"]\nx = ' + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(HugemcError, match="nested too deep") as e:
        load_scenario(p)
    assert e.value.loc.line == 2 and e.value.loc.col > 100 and e.value.hint
    r = run_cli("check", str(p))
    assert r.returncode == 2 and "Traceback" not in r.stdout + r.stderr


def test_a_byte_order_mark_is_ignored(tmp_path):
    p = _scenario(tmp_path, '\ufeffmodels = ["m.c"]\nexpect = "holds"\n[threads]\nt = "t()"\n')
    assert load_scenario(p).models


@pytest.mark.parametrize("src,line,col,what", [
    ("int g __range(0, 3);\nvoid t(void)\n{\n\tg = 1;\n", 3, 1, "'{' is never closed"),
    ("int g __range(0, 3);\nvoid t(void) { if (g) { g = 1; }\n", 2, 14, "'{' is never closed"),
    ("int g __range(0, 3);\n/* a comment\nvoid t(void) { g = 1; }\n", 2, 1, "unterminated comment"),
    ("int g __range(0, 3);\nvoid t(void) { g = 1; } /* x */ /*\n", 2, 33, "unterminated comment"),
])
def test_an_unclosed_brace_or_comment_is_located_in_its_file(tmp_path, src, line, col, what):
    """The parser only fails past the model file's end: the error names the file, '{' or '/*' instead."""
    p = write_scenario(tmp_path, src, {"t": "t()"})
    with pytest.raises(HugemcError, match=what) as e:
        build_program(load_scenario(p))
    assert e.value.loc.file.endswith("m.c") and (e.value.loc.line, e.value.loc.col) == (line, col)
    assert e.value.hint


def test_an_unknown_expected_property_is_located_at_its_name(tmp_path):
    p = write_scenario(tmp_path, "int g __range(0, 3);\nvoid t(void) { g = 1; }\nINVARIANT(small) { return g < 2; }\n",
                       {"t": "t()"}, expect=["small", "no_such_thing"])
    with pytest.raises(HugemcError, match="unknown property 'no_such_thing'") as e:
        build_program(load_scenario(p))
    row = p.read_text().splitlines()[e.value.loc.line - 1]
    assert row[e.value.loc.col - 1:].startswith("no_such_thing") and "small" in e.value.hint


@pytest.mark.parametrize("text,what", [
    ('models = ["m.c"]\n[defines]\nX = "1\\n#include \\"/etc/passwd\\""\n[threads]\nt = "t()"\n', "one line of C"),
    ('models = ["m.c"]\n[threads]\nt = { call = "t()", count = true }\n', "count must be a positive integer"),
])
def test_toml_values_of_the_wrong_kind_are_located(tmp_path, text, what):
    p = _scenario(tmp_path, text)
    with pytest.raises(HugemcError, match=what) as e:
        load_scenario(p)
    assert e.value.loc.line == 3


def test_a_variadic_function_is_refused_where_it_is_defined(tmp_path):
    p = write_scenario(tmp_path, "int g __range(0, 3);\nint sum(int n, ...) { return n; }\nvoid t(void) { g = 1; }\n",
                       {"t": "t()"})
    with pytest.raises(HugemcError, match="variadic functions are not supported") as e:
        build_program(load_scenario(p))
    assert (e.value.loc.line, e.value.loc.col) == (2, 16) and e.value.hint


def test_library_and_project_files_are_allowed(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "h.h").write_text("int g __range(0, 1);\n")
    (tmp_path / "sc").mkdir()
    (tmp_path / "sc" / "m.c").write_text('#include "../inc/h.h"\n#include "mm/page.h"\nvoid t(void) { g = 1; }\n')
    p = tmp_path / "sc" / "s.toml"
    p.write_text('models = ["m.c"]\nexpect = "holds"\n[threads]\nt = "t()"\n')
    build_program(load_scenario(p))  # the project root (pyproject.toml) and the library are allowed


def test_a_diagnostic_quotes_at_most_200_characters(tmp_path):
    src = "int g __range(0, 3); int x" + "0" * 300 + " @;\nvoid t(void) { }\n"
    p = _scenario(tmp_path, 'models = ["m.c"]\nexpect = "holds"\n[threads]\nt = "t()"\n', src)
    with pytest.raises(HugemcError) as e:
        build_program(load_scenario(p))
    quoted = e.value.render().splitlines()[1]
    assert len(quoted) < 220 and quoted.rstrip().endswith("@;")


def test_thread_count_that_cannot_be_meant(tmp_path):
    p = _scenario(tmp_path, 'models = ["m.c"]\nexpect = "holds"\n[threads]\nt = { call = "t()", count = 1000 }\n')
    with pytest.raises(HugemcError, match="cannot be meant"):
        load_scenario(p)


def test_or_of_and_chains_compiles_in_linear_time(tmp_path):
    """Code generation joins branches without walking every path (30 terms: 2**30 paths)."""
    terms = " || ".join(f"T({k})" for k in range(30))
    src = ("int a __range(0, 15); int b __range(0, 15); int c __range(0, 15); int d __range(0, 15);\n"
           "void t(void) { a = 1; }\n"
           "#define T(k) (a == (k) + 2 && b == (k) + 2 && c == (k) + 2 && d == (k) + 2)\n"
           f"INVARIANT(inv) {{ return !({terms}); }}\n")
    p = _scenario(tmp_path, 'models = ["m.c"]\nproperty_files = ["m.c"]\nexpect = "holds"\n[threads]\nt = "t()"\n',
                  src)
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", str(p)], capture_output=True, text=True,
                       timeout=120)  # exponential: 2**30 paths would never finish
    assert r.returncode == 0, r.stdout + r.stderr


# -- limits bound the whole run ------------------------------------------------------------------

def test_endless_local_loop_is_found_quickly_and_the_time_limit_covers_every_phase(tmp_path):
    src = "int g __range(0, 3);\nvoid t(void) { while (1) { } }\nvoid u(void) { g = 1; }\n"
    p = write_scenario(tmp_path, src, {"t": "t()", "u": "u()"})
    r = run_cli("check", str(p), "--time-limit", "20", "--format", "json")
    import json
    sc = json.loads(r.stdout)["scenarios"][0]
    assert sc["verdict"] == "violated" and sc["violations"][0]["kind"] == "assertion"
    assert "without ending" in sc["violations"][0]["message"]
    from conftest import EXAMPLES
    r = run_cli("check", str(EXAMPLES / "seed-merged.toml"), "--time-limit", "0.000001")
    assert r.returncode == 3 and ("time limit" in r.stdout or "time_limit" in r.stdout)  # in any phase


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_limits_must_be_positive_finite_numbers(tmp_path, value):
    p = write_scenario(tmp_path, "int g __range(0, 1);\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    r = run_cli("check", str(p), "--time-limit", value)
    assert r.returncode == 2 and "Traceback" not in r.stderr


@pytest.mark.parametrize("check", ["time_limit = true", "max_states = true", "time_limit = nan",
                                   "max_memory = false"])
def test_scenario_bounds_reject_booleans_and_nan(tmp_path, check):
    p = write_scenario(tmp_path, "int g __range(0, 1);\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    p.write_text(p.read_text() + f"[check]\n{check}\n")
    with pytest.raises(HugemcError, match="bad value in \\[check\\]"):
        load_scenario(p)


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_max_states_and_max_depth_equal_to_the_space_are_complete(strategy):
    from conftest import EXAMPLES, check_file
    full = check_file(EXAMPLES / "seed-merged.toml", strategy=strategy)
    n, d = full.stats.states, full.stats.depth
    assert check_file(EXAMPLES / "seed-merged.toml", strategy=strategy, max_states=n).verdict == "holds"
    assert check_file(EXAMPLES / "seed-merged.toml", strategy=strategy, max_states=n - 1).verdict == "incomplete"
    assert check_file(EXAMPLES / "seed-merged.toml", strategy=strategy, max_depth=d).verdict == "holds"
    assert check_file(EXAMPLES / "seed-merged.toml", strategy=strategy, max_depth=d - 1).verdict == "incomplete"


@pytest.mark.parametrize("src, message", [
    ("int a[1 << 62];\nvoid t(void) { a[0] = 1; }\n", "cannot be meant"),
    ("int g __range(0, 1000000000000);\nvoid t(void) { g = 1; }\n", "too wide"),
    ("int g __range(0, 7);\nvoid t(void) { g = nondet_int(0, 1000000000) > 3; }\n", "cannot be meant"),
    ("int g __range(0, 99999999999999999999999999999999999999999);\nvoid t(void) { g = 1; }\n", "too large"),
])
def test_sizes_that_cannot_be_meant(tmp_path, src, message):
    p = write_scenario(tmp_path, src, {"t": "t()"})
    with pytest.raises(HugemcError, match=message) as e:
        build_program(load_scenario(p))
    assert e.value.loc is not None and e.value.loc.line >= 1 and e.value.hint


def test_a_cap_can_be_raised_with_a_define(tmp_path):
    src = "int a[5000];\nvoid t(void) { a[0] = 1; }\n"
    p = write_scenario(tmp_path, src, {"t": "t()"}, defines={"HUGEMC_MAX_ARRAY": 8192})
    build_program(load_scenario(p))


# -- deep nesting ---------------------------------------------------------------------------------

_NEST = {
    "parens": "void t(void) { g = " + "(" * 150 + "1" + ")" * 150 + "; }\n",
    "blocks": "void t(void) { " + "{" * 300 + "g = 1;" + "}" * 300 + " }\n",
    "plus": "void t(void) { g = " + " + ".join(["1"] * 1000) + "; }\n",
    "ternary": "void t(void) { g = " + " ".join(["g == 1 ? 1 :"] * 400) + " 0; }\n",
    "unary": "void t(void) { g = " + "!~" * 20000 + "g; }\n",
}


@pytest.mark.parametrize("kind", sorted(_NEST))
def test_nesting_too_deep_is_located(tmp_path, kind):
    p = write_scenario(tmp_path, "int g __range(0, 3000);\n" + _NEST[kind], {"t": "t()"})
    with pytest.raises(HugemcError, match="nesting too deep|expression too long") as e:
        build_program(load_scenario(p))
    assert e.value.loc.line == 2 and e.value.loc.col > 1


def test_deep_parentheses_in_a_call_string(tmp_path):
    p = write_scenario(tmp_path, "int g __range(0, 3);\nvoid t(int x) { g = 1; }\n", {"t": "t(" + "(" * 200 + "1" + ")" * 200 + ")"})
    with pytest.raises(HugemcError, match="nesting too deep") as e:
        build_program(load_scenario(p))
    assert e.value.loc.file.endswith(".toml")


def test_nesting_at_the_limits_compiles_and_checks(tmp_path):
    src = ("int g __range(0, 3000);\nint h __range(0, 3);\n"
           "void t(void) { g = " + "(" * 62 + " + ".join(["h"] * 100) + ")" * 62 + "; " + "{" * 60 + "h = 1;" + "}" * 60 + " }\n"
           "#if " + "(" * 300 + "1" + ")" * 300 + "\nint k __range(0, 1);\n#endif\n")
    p = write_scenario(tmp_path, src, {"t": "t()"})
    r = run_cli("check", str(p))
    assert r.returncode == 0, r.stdout + r.stderr


# -- outputs and results of the wrong shape -------------------------------------------------------

@pytest.mark.parametrize("option", ["--out", "--json", "--html", "--report=sarif"])
def test_output_into_a_missing_folder_is_an_input_error(tmp_path, option):
    from conftest import EXAMPLES
    dest = str(tmp_path / "missing" / "r.out")
    args = [f"{option}={dest}"] if option.startswith("--report") else [option, dest]
    r = run_cli("check", str(EXAMPLES / "lost-update.toml"), *args)
    err = " ".join(r.stderr.split())  # (wrapped at 80 columns where the long temporary path falls)
    assert r.returncode == 2 and "does not exist" in err and "Traceback" not in r.stderr


@pytest.mark.parametrize("doc", ['{"a": 1}', '{"hugemc": "0.1", "scenarios": [{"name": 3}]}',
                                 '{"hugemc": "0.1", "scenarios": 5}',
                                 '{"hugemc": "0.1", "scenarios": [{"name": "x", "verdict": "holds", '
                                 '"violations": [{"property": 1}]}]}', "[1, 2"])
def test_trace_and_baseline_reject_json_of_the_wrong_shape(tmp_path, doc):
    from conftest import EXAMPLES
    bad = tmp_path / "bad.json"
    bad.write_text(doc)
    r = run_cli("trace", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    r = run_cli("check", str(EXAMPLES / "lost-update.toml"), "--baseline", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


def test_constant_index_out_of_bounds_is_a_compile_error(tmp_path):
    src = "int a[2] __range(0, 3);\nvoid t(void) { a[2] = 1; }\n"
    p = write_scenario(tmp_path, src, {"t": "t()"})
    with pytest.raises(HugemcError, match="index 2 out of bounds") as e:
        build_program(load_scenario(p))
    assert (e.value.loc.line, e.value.loc.col) == (2, 18)


def test_memory_limit_counts_before_the_search():
    from conftest import EXAMPLES
    r = run_cli("check", str(EXAMPLES / "seed-merged.toml"), "--max-memory", "1M")
    assert r.returncode == 3 and "memory limit" in r.stdout and "incomplete" in r.stdout


def test_huge_integer_in_a_define(tmp_path):
    p = write_scenario(tmp_path, "#if X > 3\nint g __range(0, 3);\n#endif\nvoid t(void) { g = 1; }\n", {"t": "t()"},
                       defines={"X": '"' + "9" * 5000 + '"'})
    with pytest.raises(HugemcError, match="too large"):
        build_program(load_scenario(p))


# -- limits bound the whole run, preprocessing included ----------------------------------------------------

_BOMB = "".join(f"#define M{i} (M{i - 1}+M{i - 1})\n" for i in range(1, 26))


def test_a_macro_bomb_is_a_located_error_not_a_memory_error(tmp_path):
    src = "#define M0 1\n" + _BOMB + "int g __range(0, 1);\nvoid t(void) { long x = M25; g = 1; }\n"
    p = write_scenario(tmp_path, src, {"t": "t()"})
    r = run_cli("check", p.name, "--max-memory", "4G", cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 2 and "Traceback" not in out
    assert "m.c:28:25: error: macro expansion too large: more than 200,000 tokens" in out
    assert "HUGEMC_MAX_EXPANSION" in out and " 28 | void t(void)" in out


def test_the_macro_expansion_cap_can_be_lowered_and_raised(tmp_path):
    src = "#define TEN 1 + 1 + 1 + 1 + 1\nint g __range(0, 1);\nvoid t(void) { g = TEN + TEN > 0; }\n"
    p = write_scenario(tmp_path, src, {"t": "t()"}, defines={"HUGEMC_MAX_EXPANSION": 12})
    with pytest.raises(HugemcError, match="macro expansion too large: more than 12 tokens") as e:
        build_program(load_scenario(p))
    assert (e.value.loc.line, e.value.loc.col) == (3, 26) and "HUGEMC_MAX_EXPANSION" in e.value.hint
    p = write_scenario(tmp_path, src, {"t": "t()"}, defines={"HUGEMC_MAX_EXPANSION": 18})
    build_program(load_scenario(p))


def test_running_out_of_memory_is_incomplete_with_a_limit_and_an_input_error_without(tmp_path, monkeypatch):
    import hugemc.check
    from hugemc.check import CheckOptions, check_scenario
    from hugemc.runner import check_one

    def exhausted(sc):
        raise MemoryError
    p = write_scenario(tmp_path, "int g __range(0, 1);\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    monkeypatch.setattr(hugemc.check, "build_program", exhausted)
    r = check_scenario(p, CheckOptions())
    assert r.verdict == "error" and "out of memory while compiling the models" in r.error
    assert "--max-memory" in r.error and "Traceback" not in r.error
    r = check_scenario(p, CheckOptions(max_memory=1 << 40))
    assert r.verdict == "incomplete" and r.stats.limit == "max_memory"
    assert "memory limit of 1,048,576 MiB reached while compiling the models" in r.problems[0]
    monkeypatch.setattr("hugemc.runner.check_scenario", lambda *a: exhausted(None))
    r = check_one(p, CheckOptions())
    assert r.verdict == "error" and "out of memory" in r.error and "Traceback" not in r.error


# -- shifts: counts beyond 63 cannot be meant ---------------------------------------------------------------

@pytest.mark.parametrize("src, col", [
    ("int a[1 << 10000000000];\nvoid t(void) { a[0] = 1; }\n", 7),               # an array size
    ("int g __range(0, 1);\nvoid t(void) { g = (1 << 10000000000) > 0; }\n", 21),  # constant folding
    ("int g __range(0, 1);\nvoid t(void) { long x = 1; x = x << 100000000; g = 1; }\n", 32),
    ("int g __range(0, 1);\nvoid t(void) { long x = 1; x <<= 64; g = 1; }\n", 28),
    ("int g __range(0, 1);\nvoid t(void) { g = 1 >> -1; }\n", 20),
    ("enum { BIG = 1 << 64 };\nint g __range(0, 1);\nvoid t(void) { g = 1; }\n", 14),
    ("int f __range(0, 255);\nvoid t(void) { set_bit(64, &f); }\n", 24),
])
def test_a_constant_shift_count_beyond_63_is_located(tmp_path, src, col):
    p = write_scenario(tmp_path, src, {"t": "t()"})
    with pytest.raises(HugemcError, match="shift count") as e:
        build_program(load_scenario(p))
    assert e.value.loc.line in (1, 2) and e.value.loc.col == col, e.value.render()
    assert "0..63" in e.value.hint and len(e.value.render()) < 1000


@pytest.mark.parametrize("cond", ["(1 << 100) > 0", "(1 << 10000000000) > 0", "(4 >> -1) == 2"])
def test_a_shift_count_beyond_63_in_if_is_an_error_not_false(tmp_path, cond):
    p = write_scenario(tmp_path, f"#if {cond}\nint g __range(0, 1);\n#endif\nvoid t(void) {{ g = 1; }}\n",
                       {"t": "t()"})
    with pytest.raises(HugemcError, match="shift count .* in #if cannot be meant") as e:
        build_program(load_scenario(p))
    assert (e.value.loc.line, e.value.loc.col) == (1, 8) and "0..63" in e.value.hint
    m = tmp_path / "m.c"
    m.write_text(m.read_text().replace(cond, "0 && " + cond))  # not evaluated: no error
    with pytest.raises(HugemcError, match="unknown identifier 'g'"):
        build_program(load_scenario(p))


def test_a_runtime_shift_count_beyond_63_is_a_readable_domain_overflow(tmp_path):
    src = ("int g __range(0, 1);\nint s __range(0, 100);\n"
           "void t(void) { long x = 1; s = 100; x = x << s; g = 1; }\n"
           "void u(void) { long y = 1; y = y" + " << 63" * 250 + "; g = 1; }\n")  # 4,741 digits
    for thread, message in (("t()", "shift count 100 cannot be meant"),
                            ("u()", "value 2**15750+ leaves the domain of 't.y'")):
        p = write_scenario(tmp_path, src, {"t": thread}, expect=["domain_overflow"])
        r = run_cli("check", p.name, "--engine", "python", "-v", cwd=tmp_path)
        out = r.stdout + r.stderr
        assert r.returncode == 0 and "Traceback" not in out and "internal error" not in out
        assert message in " ".join(out.split())


def test_gigantic_values_are_printed_short():
    from hugemc.ir import int_text
    assert int_text(-6561) == "-6561" and int_text(1 << 40000) == "2**40000+" and int_text(-(3 << 99)) == "-2**100+"


# -- limits: one set of rules for the command line, [check] and a suite's [defaults] ------------------------

_BAD_LIMITS = [("max_memory", '"0"', "0"), ("max_memory", '""', ""), ("max_memory", "1.5", None),
               ("max_memory", '"1.5"', "1.5"), ("max_memory", "100", "100"), ("max_memory", '"-1G"', "-1G"),
               ("max_states", "0", "0"), ("max_depth", "-3", "-3"), ("time_limit", "0", "0"),
               ("time_limit", "nan", "nan")]


@pytest.mark.parametrize("key, toml_value, cli_value", _BAD_LIMITS)
def test_a_limit_is_refused_alike_everywhere(tmp_path, key, toml_value, cli_value):
    from click.testing import CliRunner
    from hugemc.check import CheckOptions
    from hugemc.cli import main
    from hugemc.suite import load_suite
    p = write_scenario(tmp_path, "int g __range(0, 1);\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    good = p.read_text()
    p.write_text(good + f"[check]\n{key} = {toml_value}\n")
    with pytest.raises(HugemcError, match=r"bad value in \[check\]") as e:
        load_scenario(p)
    assert e.value.loc.line == good.count("\n") + 2 and e.value.hint
    (tmp_path / "hugemc.toml").write_text(f'scenarios = ["s.toml"]\n[defaults]\n{key} = {toml_value}\n')
    p.write_text(good)
    with pytest.raises(HugemcError, match=f"bad value for '{key}' in defaults") as e:
        load_suite(tmp_path, CheckOptions())
    assert e.value.loc.line == 3 and e.value.hint
    if cli_value is not None:
        option = "--" + key.replace("_", "-")
        r = CliRunner().invoke(main, ["check", str(p), f"{option}={cli_value}"])
        assert r.exit_code == 2 and f"error: bad {option}" in r.output and "hint:" in r.output, r.output


def test_a_limit_is_accepted_alike_everywhere(tmp_path):
    from hugemc.check import CheckOptions
    from hugemc.scenario import parse_limit
    from hugemc.suite import load_suite
    p = write_scenario(tmp_path, "int g __range(0, 1);\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    good = p.read_text()
    p.write_text(good + '[check]\nmax_memory = "1.5G"\ntime_limit = 2\n')
    assert load_scenario(p).bounds.max_memory == 3 << 29
    (tmp_path / "hugemc.toml").write_text('scenarios = ["s.toml"]\n[defaults]\nmax_memory = 1073741824\n')
    assert dict(load_suite(tmp_path, CheckOptions())[0].options.suite_defaults)["max_memory"] == 1 << 30
    assert parse_limit("max_memory", "512M") == 512 << 20 and parse_limit("time_limit", 1) == 1.0


# -- domains: one cap for __range, enums and [domains] ----------------------------------------------------

@pytest.mark.parametrize("enum, col", [("enum e { A = 0, B = 1 << 40 };", 17),
                                       ("enum e { A = -4611686018427387904, B };", 10),
                                       ("enum e { A, B = 4611686018427387904 };", 13)])
def test_an_enum_too_wide_is_located(tmp_path, enum, col):
    p = write_scenario(tmp_path, enum + "\nenum e g;\nvoid t(void) { g = A; }\n", {"t": "t()"})
    with pytest.raises(HugemcError, match="enum e spans .* a domain too wide to be meant") as e:
        build_program(load_scenario(p))
    assert (e.value.loc.line, e.value.loc.col) == (1, col) and "HUGEMC_MAX_DOMAIN" in e.value.hint
    if "40" in enum:  # the cap is raised as for __range
        p = write_scenario(tmp_path, enum + "\nenum e g;\nvoid t(void) { g = A; }\n", {"t": "t()"},
                           defines={"HUGEMC_MAX_DOMAIN": 1 << 41})
        build_program(load_scenario(p))


@pytest.mark.parametrize("domain", ["int = [-9223372036854775808, 9223372036854775807]",
                                    "unsigned = [0, 4294967296]", '"g" = [0, 4611686018427387904]'])
def test_a_scenario_domain_too_wide_is_located(tmp_path, domain):
    p = write_scenario(tmp_path, "int g;\nvoid t(void) { g = 1; }\n", {"t": "t()"}, extra="[domains]\n" + domain)
    r = run_cli("check", p.name, cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 2 and "Traceback" not in out and "is too wide to be meant" in out, out
    assert "s.toml:5:1: error: domain" in out and "HUGEMC_MAX_DOMAIN" in out and " 5 | " in out


@pytest.mark.parametrize("decl, words", [
    ("int a[64][65];", "array of 64 elements of 65 slots each (4,160 slots) cannot be meant"),
    ("struct s { int x; int y; };\nstruct s a[3000];", "array of 3,000 elements of 2 slots each (6,000 slots)"),
    ("int a[5000];", "array of 5,000 elements cannot be meant"),
])
def test_an_array_too_large_says_its_real_slot_count(tmp_path, decl, words):
    p = write_scenario(tmp_path, decl + "\nint g __range(0, 1);\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    with pytest.raises(HugemcError) as e:
        build_program(load_scenario(p))
    assert words in e.value.message and "4,096 slots" in e.value.hint


def test_scenario_symlink_leading_outside_is_refused(tmp_path):
    """A scenario that is a symbolic link out of the project is refused, unread, named directly or in a folder."""
    write_scenario(tmp_path, "int g __range(0, 3);\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    (tmp_path / "link.toml").symlink_to("/etc/passwd")
    (tmp_path / "dir.toml").mkdir()  # a folder named like a scenario is not one
    with pytest.raises(HugemcError, match="symbolic link leading outside the allowed folders"):
        load_scenario(tmp_path / "link.toml")
    for arg in (str(tmp_path), str(tmp_path / "link.toml")):
        r = run_cli("check", "--no-color", arg)
        assert r.returncode == 2 and "Traceback" not in r.stdout + r.stderr
        assert "symbolic link leading outside" in r.stdout and "root:" not in r.stdout + r.stderr
        assert "dir.toml" not in r.stdout
    with pytest.raises(HugemcError, match="under /proc"):
        load_scenario("/proc/self/environ")


@pytest.mark.parametrize("args,shown", [
    (["--out", "/dev/full"], "--out /dev/full"),
    (["--json", "/dev/full"], "--json /dev/full"),
    (["--html", "/dev/full"], "--html /dev/full"),
    (["--report", "sarif=/dev/full"], "--report sarif=/dev/full"),
])
def test_report_write_errors_are_input_errors(tmp_path, args, shown):
    """A report that cannot be written (a full disk) is exit 2 naming the file and the reason."""
    p = write_scenario(tmp_path, "int g __range(0, 3);\nvoid t(void) { g = 1; }\n", {"t": "t()"})
    r = run_cli("check", "--no-color", str(p), *args)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"error: cannot write {shown}: No space left on device" in r.stderr


def test_trace_write_error_is_an_input_error(tmp_path):
    p = write_scenario(tmp_path, "int g __range(0, 3);\nvoid t(void) { g = 1; }\nINVARIANT(p) { return g == 0; }\n",
                       {"t": "t()"})
    js = tmp_path / "r.json"
    assert run_cli("check", str(p), "--json", str(js)).returncode == 1
    for fmt in ("text", "dot"):
        r = run_cli("trace", str(js), "--format", fmt, "--out", "/dev/full")
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert "error: cannot write --out /dev/full: No space left on device" in r.stderr


def _step0(d):
    return d["scenarios"][0]["violations"][0]["trace"]["steps"][0]


@pytest.mark.parametrize("corrupt,field", [
    (lambda d: _step0(d).__setitem__("changes", {"g": 5}), "steps[0].changes.g: expected a [before, after] pair"),
    (lambda d: _step0(d).__setitem__("changes", {"g": [0, 1, 2]}), "steps[0].changes.g: expected a [before"),
    (lambda d: _step0(d).__setitem__("line", "x"), "steps[0].line: expected an integer, got \"x\""),
    (lambda d: _step0(d).__setitem__("reads", {"g": [1]}), "steps[0].reads.g: expected an integer, a string"),
    (lambda d: _step0(d).__setitem__("ops", [{"file": "m.c", "line": 2, "changes": {"g": {}}}]),
     "steps[0].ops[0].changes.g"),
    (lambda d: _step0(d).__setitem__("messages", "hi"), "steps[0].messages: expected a list"),
    (lambda d: d["scenarios"][0]["violations"][0]["trace"].__setitem__("steps", {}), "trace.steps: expected a list"),
    (lambda d: d["scenarios"][0]["stats"].__setitem__("states", "many"), "scenarios[0].stats.states"),
])
def test_trace_validates_the_result_before_rendering(tmp_path, corrupt, field):
    """A result JSON with a field of the wrong type is exit 2 naming the field, in every format."""
    import json
    from hugemc.report import load_results
    p = write_scenario(tmp_path, "int g __range(0, 3);\nvoid t(void) { g = 1; }\nINVARIANT(p) { return g == 0; }\n",
                       {"t": "t()"})
    js = tmp_path / "r.json"
    assert run_cli("check", str(p), "--json", str(js)).returncode == 1
    doc = json.loads(js.read_text())
    corrupt(doc)
    js.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="is not a valid hugemc result") as e:
        load_results(js)
    assert field in str(e.value)
    if "changes.g: expected a [before, after] pair" in field:
        for fmt in ("text", "table", "dot", "graphml", "json", "mermaid", "html"):
            r = run_cli("trace", str(js), "--format", fmt)
            assert r.returncode == 2 and "Traceback" not in r.stderr and field in " ".join(r.stderr.split()), fmt
