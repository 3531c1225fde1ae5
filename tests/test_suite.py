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


# -- a suite reads nothing outside its folder ----------------------------------------------------

@pytest.mark.parametrize("pattern,words", [
    ("../../../etc/*", "leaves the folder of hugemc.toml"),
    ("s/../../*.toml", "leaves the folder of hugemc.toml"),
    ("/etc/*.conf", "is an absolute path"),
    ("~/x/*.toml", "is an absolute path"),
    ("", "empty suite pattern"),
])
def test_patterns_leaving_the_folder_are_refused(tmp_path, pattern, words):
    root = make(tmp_path, f'# the suite\nscenarios = ["s/*.toml", "{pattern}"]\n')
    with pytest.raises(HugemcError) as e:
        load_suite(root, CheckOptions())
    text = e.value.render()
    assert words in text and "hint: suite patterns are globs relative" in text
    assert (e.value.loc.line, e.value.loc.col) == ((2, 26) if pattern else (2, 1))


def test_symlink_leaving_the_folder_is_refused_and_folders_skipped(tmp_path):
    root = make(tmp_path, 'scenarios = ["s/*.toml"]\n')
    (root / "s" / "sub.toml").mkdir()  # a folder matched by a glob is not a scenario
    assert [e.path.name for e in load_suite(root, CheckOptions())] == ["a.toml", "b.toml"]
    (root / "s" / "link.toml").symlink_to("/etc/passwd")
    with pytest.raises(HugemcError, match="'s/link.toml', a symbolic link leading outside") as e:
        load_suite(root, CheckOptions())
    assert "root:" not in e.value.render()


def test_cli_suite_outside_exits_2_without_traceback(tmp_path):
    import subprocess
    import sys
    root = make(tmp_path, 'scenarios = ["/etc/*.conf"]\n')
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", "--no-color"], cwd=root, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("hugemc.toml:1:14: error: suite pattern '/etc/*.conf' is an absolute path")
