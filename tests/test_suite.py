"""The suite configuration: globs, defaults, per-scenario overrides; parallel checking."""

from pathlib import Path

import pytest

from conftest import write_scenario
from hugemc.check import CheckOptions
from hugemc.diagnostics import HugemcError
from hugemc.runner import check_many
from hugemc.suite import load_suite

SRC = "int c __range(0, 3);\nvoid inc(void) { c++; }\nFINAL(three) { return c == 3; }\n"


def make(tmp_path: Path, config: str, where="hugemc.toml"):
    d = tmp_path / "s"
    d.mkdir()
    write_scenario(d, SRC, {"t": ("inc()", 3)}, expect=["three"], name="a")
    write_scenario(d, SRC, {"t": ("inc()", 2)}, expect=["three"], name="b")
    (tmp_path / where).write_text(config)
    return tmp_path


def test_globs_defaults_and_overrides(tmp_path):
    root = make(tmp_path, 'scenarios = ["s/*.toml"]\n[defaults]\nmax_states = 7\n'
                          '[overrides."s/b.toml"]\nmax_states = 1000\nstrategy = "dfs"\n')
    entries = load_suite(root, CheckOptions())
    assert [e.path.name for e in entries] == ["a.toml", "b.toml"]
    a, b = entries
    assert a.options.max_states is None and dict(a.options.suite_defaults)["max_states"] == 7
    assert b.options.max_states == 1000 and b.options.strategy == "dfs"
    ra, rb = check_many([(e.path, e.options) for e in entries], 1)
    assert ra.verdict in ("incomplete", "violated") and not ra.stats.complete   # the default bound cut it
    assert rb.stats.complete and rb.stats.strategy == "dfs"
    # the command line beats the override
    entries = load_suite(root, CheckOptions(max_states=3))
    assert entries[1].options.max_states == 3


def test_pyproject_table(tmp_path):
    root = make(tmp_path, '[tool.hugemc]\nscenarios = ["s/a.toml"]\n', where="pyproject.toml")
    assert [e.path.name for e in load_suite(root, CheckOptions())] == ["a.toml"]


@pytest.mark.parametrize("config,words", [
    ('scenarios = ["nothing/*.toml"]\n', "matches no scenario"),
    ('scenario = ["s/*.toml"]\n', "did you mean 'scenarios'"),
    ('scenarios = ["s/*.toml"]\n[defaults]\nmax_state = 3\n', "unknown key 'max_state'"),
    ('scenarios = ["s/*.toml"]\n[defaults]\nstrategy = "sideways"\n', "bad value for 'strategy'"),
])
def test_bad_configs(tmp_path, config, words):
    root = make(tmp_path, config)
    with pytest.raises(HugemcError) as e:
        load_suite(root, CheckOptions())
    assert words in e.value.render()


def test_parallel_equals_serial(tmp_path):
    root = make(tmp_path, 'scenarios = ["s/*.toml"]\n')
    work = [(e.path, e.options) for e in load_suite(root, CheckOptions())]
    serial = check_many(work, 1)
    parallel = check_many(work, 2)
    assert [(r.name, r.verdict, r.stats.states) for r in serial] == \
        [(r.name, r.verdict, r.stats.states) for r in parallel]
