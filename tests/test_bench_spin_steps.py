"""SPIN stores exactly hugemc's states on the refcount benchmark written with hugemc's atomicity.

bench/refcount_steps.pml is bench/refcount.c with one d_step per hugemc step
and dead locals reset at step boundaries; for the same N, M (and -DBUG) the
number of states SPIN stores must equal the number hugemc's BFS stores.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not (shutil.which("spin") and shutil.which("gcc")),
                                reason="needs SPIN's `spin` and `gcc` on PATH (Debian: apt-get install spin gcc)")


def scenario_text(n: int, m: int, bug: bool) -> str:
    """N getters on M pages and a freezer: bench/run.py's refcount scenario."""
    sys.path.insert(0, str(ROOT / "bench"))
    from run import scenario_text as bench_scenario
    return bench_scenario(n, m, bug)


def hugemc_states(d: Path, n: int, m: int, bug: bool) -> int:
    from hugemc.backend import compile_program
    from hugemc.explore import bfs
    from hugemc.lang import build_program
    from hugemc.scenario import load_scenario
    shutil.copy(ROOT / "bench" / "refcount.c", d / "refcount.c")
    p = d / "refcount.toml"
    p.write_text(scenario_text(n, m, bug))
    r = bfs(compile_program(build_program(load_scenario(p))))
    assert getattr(r, "complete", True)
    assert bool(r.violations) == bug, sorted(r.violations)
    return r.states


def spin_states(d: Path, n: int, m: int, bug: bool) -> tuple[int, int]:
    """(states stored, errors) of pan: BFS, no partial-order reduction, on past errors (-c0)."""
    shutil.copy(ROOT / "bench" / "refcount_steps.pml", d / "refcount_steps.pml")
    defs = [f"-DN={n}", f"-DM={m}"] + (["-DBUG"] if bug else [])
    subprocess.run(["spin", *defs, "-a", "refcount_steps.pml"], cwd=d, check=True, capture_output=True)
    subprocess.run(["gcc", "-O2", "-DSAFETY", "-DBFS", "-DNOREDUCE", "-o", "pan", "pan.c"],
                   cwd=d, check=True, capture_output=True)
    # -w20: a smaller hash table than bench/run.py's -w25; the search is exhaustive either way
    out = subprocess.run(["./pan", "-m40000000", "-w20", "-c0"], cwd=d, capture_output=True, text=True,
                         timeout=60).stdout
    states = re.search(r"(\d+) states, stored", out)
    errors = re.search(r"errors: (\d+)", out)
    assert states and errors, out
    assert "search not completed" not in out, out
    return int(states.group(1)), int(errors.group(1))


@pytest.mark.parametrize("n, m, bug", [(2, 2, False), (3, 2, False), (2, 3, False), (2, 2, True)],
                         ids=["2x2", "3x2", "2x3", "2x2-BUG"])
def test_spin_stores_exactly_hugemc_states(tmp_path, n, m, bug):
    (tmp_path / "h").mkdir()
    (tmp_path / "s").mkdir()
    h = hugemc_states(tmp_path / "h", n, m, bug)
    s, errors = spin_states(tmp_path / "s", n, m, bug)
    assert s == h, f"{n}x{m}{' BUG' if bug else ''}: SPIN stores {s} states, hugemc {h}"
    # the freeze assertion fails (or the count leaves 0..8) exactly when the model is the buggy one
    assert (errors > 0) == bug
