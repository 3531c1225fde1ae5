"""The compiled successor function agrees with the reference interpreter, and is safe."""

from collections import Counter
from pathlib import Path

import pytest

from conftest import EXAMPLES, check_file, write_scenario
from hugemc.backend import compile_program
from hugemc.explore import bfs
from hugemc.lang import build_program
from hugemc.scenario import load_scenario


def reachable_states(model, limit=5000):
    seen = list(dict.fromkeys(model.initial_states()))
    index = set(seen)
    i = 0
    while i < len(seen) and len(seen) < limit:
        res, errs, warns = [], [], []
        model.expand(seen[i], res, errs, warns)
        for t in res:
            if t not in index:
                index.add(t)
                seen.append(t)
        i += 1
    return seen


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.toml")))
def test_compiled_expand_equals_interpreter(name):
    program = build_program(load_scenario(EXAMPLES / f"{name}.toml"))
    model = compile_program(program)
    interp = model.interp
    for s in reachable_states(model):
        res, errs, warns = [], [], []
        model.expand(s, res, errs, warns)
        ref, ref_errs = [], []
        for t in program.threads:
            for o in interp.successors(model.unpack(s), t.index):
                if o.error is None:
                    ref.append(model.pack(o.state))
                else:
                    ref_errs.append((t.index, o.error.kind))
        assert Counter(res) == Counter(ref)  # packed states: one integer each
        assert sorted((e[0], e[1]) for e in errs) == sorted(ref_errs)
        for prop, fn in model.properties:
            k = program.properties.index(prop)
            assert fn(s) == interp.eval_property(k, model.unpack(s))


TQ, SQ = '"' * 3, "'" * 3
HOSTILE = "\n".join([
    "int __import__ __range(0, 3);",
    "int os __range(0, 3);",
    "int exec_ __range(0, 3);",
    "struct evil { int globals __range(0, 3); int __class__ __range(0, 3); };",
    "struct evil self[2];",
    "void print(int eval)",
    "{",
    "\tint compile = eval;",
    "\t__import__ = compile;",
    "\tself[1].__class__ = 2;",
    "\tpr_warn(\"\\\"\\\"\\\"); import os; os.system('touch PWNED') #%d\\n\", compile);",
    "\tpr_err(\"" + SQ + "; raise SystemExit(3) ; " + SQ + "\\n\");",
    "}",
    "/* a description with " + TQ + " quotes and '); os.system(\"x\") */",
    "INVARIANT(lambda_) { return __import__ < 3 && self[1].__class__ != 3; }",
    "",
])


def test_hostile_names_and_strings_never_reach_generated_code(tmp_path):
    p = write_scenario(tmp_path, HOSTILE, {"sys": "print(1)"}, defines={"PWN": '"__import__(\'os\')"'})
    program = build_program(load_scenario(p))
    model = compile_program(program)
    for bad in ("__import__", "os.system", "PWNED", "SystemExit", "self", "lambda_", "print", "eval",
                "globals", "__class__", '"""'):
        assert bad not in model.source, bad
    # only our own identifiers and integers appear in the generated code
    import re
    idents = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", model.source))
    allowed = {"def", "if", "else", "for", "in", "range", "not", "and", "or", "return", "try", "except",
               "Exception", "del", "len", "list", "tuple", "None", "True", "bool", "pc", "s", "n", "res", "errs",
               "warns", "r0", "w0", "expand", "raise", "append", "extend", "f", "is", "pass"}
    unexpected = {i for i in idents if i not in allowed and not re.fullmatch(r"expand_t\d+|_[A-Za-z]+\d*(_\d+)?|[mvc]\d+[zw]?|n[zw]|_[xac]\d*", i)}
    assert not unexpected, unexpected
    r = check_file(p)
    assert r.verdict == "holds"
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_scenario_strings_are_not_python(tmp_path):
    # a thread call is C, parsed by the front end; Python in it is a syntax error, not code
    p = write_scenario(tmp_path, "int g;\nvoid t(void) { g = 1; }\n", {"t": "__import__('os').system('touch PWNED')"})
    from hugemc.check import check_scenario
    r = check_scenario(p)
    assert r.verdict == "error"
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_fallback_steps_agree(tmp_path):
    # a loop with constant bounds inside an atomic block unrolls (its tests are
    # decided while generating); one bounded by shared state of a wide domain is
    # left to the interpreter; the results are the same
    src = """
    int a[4] __range(0, 3);
    int total __range(0, 12);
    int bound __range(0, 100);
    int spins __range(0, 100);
    void fill(void) { int i; ATOMIC { for (i = 0; i < 4; i++) a[i] = i; } }
    void sum(void) { int i, s = 0; for (i = 0; i < 4; i++) s += a[i]; total = s; }
    void setb(void) { int v; ATOMIC { v = nondet_int(0, 100); bound = v; } }
    void spin(void) { int i; ATOMIC { for (i = 0; i < bound; i++) spins = i + 1; } }
    REACHABLE(full) { return total == 6; }
    REACHABLE(empty_sum) { return total == 0 && a[3] == 3; }
    REACHABLE(spun) { return spins == 100; }
    """
    p = write_scenario(tmp_path, src, {"f": "fill()", "s": "sum()"})
    model = compile_program(build_program(load_scenario(p)))
    assert model.fallback_steps == 0
    r = bfs(model)
    assert set(r.reached) == {"full", "empty_sum"}
    p = write_scenario(tmp_path, src, {"b": "setb()", "s": "spin()"})
    model = compile_program(build_program(load_scenario(p)))
    assert model.fallback_steps >= 1
    r = bfs(model)
    assert "spun" in r.reached


def test_refcount_bench_runs_without_interpreter_fallback(tmp_path):
    """Every step of the refcount benchmark runs as generated code (a fallback is a silent slowdown)."""
    import shutil
    import sys
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "bench"))
    from run import scenario_text
    shutil.copy(root / "bench" / "refcount.c", tmp_path / "refcount.c")
    (tmp_path / "r.toml").write_text(scenario_text(3, 2, False))
    model = compile_program(build_program(load_scenario(tmp_path / "r.toml")))
    ns = model.expand.__globals__
    calls = []
    slow = ns["_slow"]
    ns["_slow"] = lambda *a: (calls.append(a[0]), slow(*a))
    r = bfs(model)
    assert r.complete and r.states == 9895
    assert model.fallback_steps == 0 and calls == []


def test_properties_over_many_pages_compile(tmp_path):
    """Branches of a property rejoin: a loop over 24 entries with early returns is generated, not interpreted."""
    src = """
    int a[24] __range(0, 2);
    int b[24] __range(0, 2);
    void t(void) { WRITE_ONCE(a[3], 1); WRITE_ONCE(b[3], 1); WRITE_ONCE(a[5], 2); }
    INVARIANT(not_both) {
        int i;
        for (i = 0; i < 24; i++)
            if (a[i] && b[i] > 0)
                return false;
        return true;
    }
    INVARIANT(count_small) {
        int i, n = 0, m;
        for (i = 0; i < 24; i++) {
            if (a[i] == 2)
                m = 2;
            else
                m = a[i];
            n += m;
        }
        return n < 3;
    }
    """
    p = write_scenario(tmp_path, src, {"t": "t()"}, expect=["not_both", "count_small"])
    program = build_program(load_scenario(p))
    model = compile_program(program)
    assert "def _p0(" in model.source and "def _p1(" in model.source
    assert len(model.source) < 200_000
    for s in reachable_states(model):
        for k, (prop, fn) in enumerate(model.properties):
            assert fn(s) == model.interp.eval_property(k, model.unpack(s))
    r = check_file(p)
    assert r.ok and {v.property for v in r.violations} == {"not_both", "count_small"}
