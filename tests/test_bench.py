"""The benchmark model: hugemc's verdicts on the refcount freeze model agree with SPIN's."""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_refcount_model_verdicts():
    b = bench()
    ok = b.measure_hugemc(2, 2)
    assert ok["violations"] == [] and ok["states"] > 100
    bad = b.measure_hugemc(2, 2, bug=True)
    # the freeze assertion, as in SPIN; hugemc also reports the count leaving its
    # declared domain (a Promela byte would silently wrap)
    assert "assertion" in bad["violations"] and set(bad["violations"]) <= {"assertion", "domain_overflow"}


@pytest.mark.skipif(not (shutil.which("spin") and shutil.which("gcc")), reason="spin and gcc not installed")
def test_spin_agrees():
    b = bench()
    assert b.measure_spin(2, 2)["errors"] == 0
    assert b.measure_spin(2, 2, bug=True)["errors"] >= 1
