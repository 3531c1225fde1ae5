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
