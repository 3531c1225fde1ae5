"""``--engine ray``: the BFS over hash-partitioned shards on a local Ray cluster.

One local cluster (2 CPUs) serves the whole test session. Every example and
random programs are checked against the one-process BFS: the same states,
transitions, depth, verdicts and shortest counterexample lengths; every
trace the shards' parent pointers give is replayed and validated. A shard
killed in the middle of a level is replaced from the checkpoints of the
completed levels and the answer stays right; a search that cannot resume is
``incomplete``, never ``holds``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from conftest import EXAMPLES, check_file, validate_all, write_scenario
from hugemc.backend import compile_program
from hugemc.check import CheckOptions, check_program
from hugemc.cli import main, result_code
from hugemc.explore import Limits, bfs
from hugemc.explore.trace import build_trace
from hugemc.explore.validate import validate_trace
from hugemc.lang import build_program
from hugemc.scenario import load_scenario

ray = pytest.importorskip("ray")
from hugemc.explore import raybfs  # noqa: E402
from hugemc.explore.raybfs import ray_bfs  # noqa: E402

import test_differential as td  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")  # one xdist worker, one cluster (pytest --dist loadgroup)


@pytest.fixture(scope="session", autouse=True)
def ray_cluster():
    """One local Ray cluster for every test of the session."""
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def _compiled(path: Path):
    sc = load_scenario(path)
    program = build_program(sc)
    return sc, program, compile_program(program)


def _raw_len(found) -> int:
    return len(found.path) - 1 + (1 if found.thread is not None else 0)


def _same(a, b, what=""):
    """Two raw search results agree: counts, verdicts, which warnings, and every counterexample's length."""
    assert (a.states, a.transitions, a.depth, a.complete, a.limit) == \
        (b.states, b.transitions, b.depth, b.complete, b.limit), what
    assert {k: _raw_len(f) for k, f in a.violations.items()} == \
        {k: _raw_len(f) for k, f in b.violations.items()}, what
    assert {k: _raw_len(f) for k, f in a.reached.items()} == {k: _raw_len(f) for k, f in b.reached.items()}, what
    assert {k: _raw_len(f) for k, f in a.warnings.items()} == {k: _raw_len(f) for k, f in b.warnings.items()}, what


def _replay_all(program, model, raw) -> None:
    for name, found in list(raw.violations.items()) + list(raw.reached.items()):
        kind = "reachable" if name in raw.reached else found.kind
        validate_trace(program, build_trace(program, model.interp, found), kind, name)


# seed-merged-contended (367,000 states) is checked from the command line below, against BFS's count
EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.toml") if p.stem != "seed-merged-contended")


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_every_example_as_bfs(name):
    """Every example: exactly BFS's states, transitions, depth and shortest counterexample lengths."""
    sc, program, model = _compiled(EXAMPLES / name)
    local = bfs(model)
    shards = ray_bfs(model, workers=2)
    _same(local, shards, name)
    assert shards.shard_states and sum(shards.shard_states) == local.states
    _replay_all(program, model, shards)


def test_contended_holds_from_the_command_line(tmp_path):
    """The issue's check: seed-merged-contended, 2 shards: 366,988 states and holds, as BFS."""
    out = tmp_path / "r.json"
    res = CliRunner().invoke(main, ["check", str(EXAMPLES / "seed-merged-contended.toml"), "--engine", "ray",
                                    "--workers", "2", "--format", "json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())["scenarios"][0]
    assert doc["verdict"] == "holds" and doc["ok"]
    assert doc["stats"]["states"] == 366_988 and doc["stats"]["workers"] == 2


def test_violated_example_report_and_deterministic_trace():
    """The reported counterexamples replay and are as short as BFS's; the choice is deterministic.

    Within a level the driver takes the smallest state (as a packed integer)
    on which a property fires, whatever the number of shards; the path to it
    follows the parent pointers, which depend on the shards' order, so two
    runs with the same number of shards give the same traces.
    """
    path = EXAMPLES / "dissolve-2021-race.toml"
    a = check_file(path, engine="ray", workers=2)
    a2 = check_file(path, engine="ray", workers=2)
    b = check_file(path, engine="ray", workers=1)
    assert a.verdict == "violated" and a.ok and a.stats.workers == 2
    base = check_file(path)
    assert {v.property: len(v.trace.steps) for v in a.violations} == \
        {v.property: len(v.trace.steps) for v in base.violations}
    assert [[s.changes for s in v.trace.steps] for v in a.violations] == \
        [[s.changes for s in v.trace.steps] for v in a2.violations]
    assert [v.trace.final for v in a.violations] == [v.trace.final for v in b.violations]


def test_symmetry_on_shards(tmp_path):
    """Symmetry reduction works on shards: the same reduced counts and trace lengths as BFS with it."""
    from test_reduce import LOCKED
    path = write_scenario(tmp_path, LOCKED, {"w": ("worker()", 2), "s": ("sloppy()", 2)}, expect=["all_counted"])
    base = check_file(path, symmetry=True)
    r = check_file(path, symmetry=True, engine="ray", workers=2)
    assert (r.verdict, r.stats.states, r.stats.transitions, r.stats.depth) == \
        (base.verdict, base.stats.states, base.stats.transitions, base.stats.depth)
    assert [len(v.trace.steps) for v in r.violations] == [len(v.trace.steps) for v in base.violations]
    assert "symmetry" in r.stats.reduction and base.stats.states < check_file(path).stats.states


@pytest.mark.parametrize("level", [0, 3, 9])
def test_killed_shard_resumes_from_the_last_level(level):
    """A shard killed with ray.kill in the middle of a level: rebuilt from the checkpoints, same answer."""
    sc, program, model = _compiled(EXAMPLES / "mutant-free-despite-ref.toml")
    local = bfs(model)
    killed = []

    def hook(lvl, shards):
        if lvl == level and not killed:
            killed.append(shards[1])
            ray.kill(shards[1], no_restart=True)
    r = ray_bfs(model, workers=2, fault_hook=hook)
    assert killed, "the hook never ran"
    _same(local, r)
    _replay_all(program, model, r)


def test_killed_shard_in_a_large_search():
    """Two kills in a search of 61 levels (one per shard): rebuilt twice from the checkpoints, still exact."""
    sc, program, model = _compiled(EXAMPLES / "surplus-25182f05ffed-buggy.toml")
    local = bfs(model)
    done = []

    def hook(lvl, shards):
        if lvl in (20, 40) and lvl not in done:
            done.append(lvl)
            ray.kill(shards[lvl // 20 - 1], no_restart=True)
    r = ray_bfs(model, workers=2, fault_hook=hook)
    assert done == [20, 40]
    _same(local, r)


def test_a_search_that_cannot_resume_is_incomplete(monkeypatch):
    """Shards that keep dying: the search gives up as incomplete (exit 3), never holds."""
    sc, program, _ = _compiled(EXAMPLES / "seed-merged.toml")

    def hook(lvl, shards):
        if lvl >= 2:
            ray.kill(shards[0], no_restart=True)
    old = raybfs.ray_bfs

    def killing(*a, **kw):
        return old(*a, fault_hook=hook, **kw)
    monkeypatch.setattr(raybfs, "ray_bfs", killing)
    res = check_program(sc, program, CheckOptions(engine="ray", workers=2))
    assert res.verdict == "incomplete" and not res.ok
    assert res.stats.limit == "worker_lost" and not res.stats.complete
    assert result_code(res) == 3
    assert any("worker_lost" in p for p in res.problems)


@pytest.mark.parametrize("limits", [Limits(max_states=5_000), Limits(max_depth=20), Limits(max_states=1)])
def test_limits_as_bfs(limits):
    """--max-states and --max-depth stop the sharded search where BFS stops: same counts, incomplete."""
    sc, program, model = _compiled(EXAMPLES / "hugetlb-pool-speculative.toml")
    local = bfs(model, limits)
    r = ray_bfs(model, limits, workers=2)
    assert not r.complete
    _same(local, r)


def test_time_limit_is_incomplete():
    """A time limit that runs out during the search: incomplete with the limit named."""
    sc, program, model = _compiled(EXAMPLES / "seed-merged-contended.toml")
    import time
    ray_bfs(model, Limits(max_depth=1), workers=2)  # the pooled shards compile the model now, not in the limit
    r = ray_bfs(model, Limits(time_limit=1.0, started=time.monotonic()), workers=2)
    assert not r.complete and r.limit == "time_limit" and 0 < r.states < 366_988


def test_memory_limit_per_shard_is_incomplete():
    """--max-memory bounds each shard (and the total): a tiny bound stops the search as incomplete."""
    sc, program, model = _compiled(EXAMPLES / "seed-merged.toml")
    r = ray_bfs(model, Limits(max_memory=1 << 20), workers=2)
    assert not r.complete and r.limit == "max_memory"


def test_progress_shows_shards_and_imbalance():
    """Progress per level: the frontier, the states per shard and the imbalance."""
    sc, program, model = _compiled(EXAMPLES / "seed-merged.toml")
    lines = []

    def progress(states, transitions, depth, seconds, queue=None, detail=None):
        lines.append((states, queue, detail))
    r = ray_bfs(model, progress=progress, workers=2)
    assert len(lines) == r.depth + 1 and lines[-1][0] == r.states and lines[-1][1] == 0
    assert all("states per shard" in d and "imbalance" in d for _, _, d in lines)
    from hugemc.progress import progress_line
    assert "imbalance" in progress_line("x", 1, 1, 1, 1.0, 0, detail=lines[-1][2])


def test_unavailable_ray_is_a_clear_error(monkeypatch):
    """Ray not installed: exit 2, the hint to install the extra, no traceback."""
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    res = CliRunner().invoke(main, ["check", str(EXAMPLES / "lost-update.toml"), "--engine", "ray"])
    assert res.exit_code == 2, res.output
    assert "pip install 'hugemc[ray]'" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("opts", [["--por"], ["--strategy", "dfs"]])
def test_options_ray_cannot_honour(opts):
    """--por and DFS with --engine ray: exit 2 with what to do instead."""
    res = CliRunner().invoke(main, ["check", str(EXAMPLES / "lost-update.toml"), "--engine", "ray"] + opts)
    assert res.exit_code == 2, res.output
    assert "--engine ray" in res.output and "Traceback" not in res.output


def test_unreachable_address_is_a_clear_error(monkeypatch):
    """--address of no cluster (in a process not yet connected): exit 2 with a hint."""
    monkeypatch.setattr(ray, "is_initialized", lambda: False)

    def refuse(*a, **kw):
        raise ConnectionError("could not connect")
    monkeypatch.setattr(ray, "init", refuse)
    res = CliRunner().invoke(main, ["check", str(EXAMPLES / "lost-update.toml"), "--engine", "ray",
                                    "--address", "10.255.255.1:6379"])
    assert res.exit_code == 2, res.output
    assert "cannot reach the Ray cluster at 10.255.255.1:6379" in res.output and "ray start --head" in res.output


@settings(max_examples=max(settings.default.max_examples // 4, 1))  # the profile's count, quartered
@given(td.specs())
def test_random_programs_as_bfs(spec):
    """Random programs: the sharded search agrees with BFS and with the brute-force enumerator."""
    mine = td.brute.explore(spec, max_states=20_000)
    if mine.max_states_hit:
        return
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "m.c").write_text(spec.c_text())
        (folder / "s.toml").write_text(spec.toml_text())
        sc, program, model = _compiled(folder / "s.toml")
        ctx = "\n--- m.c ---\n" + spec.c_text() + "--- s.toml ---\n" + spec.toml_text()
        local = bfs(model)
        r = ray_bfs(model, workers=2)
        _same(local, r, ctx)
        assert r.states == mine.states, ctx
        merged = td._by_kind(r.violations)
        assert set(merged) == set(mine.violations) and set(r.reached) == set(mine.reached), ctx
        for name, found in merged.items():
            assert td._raw_len(found) == mine.violations[name], (name, ctx)
        res = check_program(sc, program, CheckOptions(engine="ray", workers=2))
        validate_all(program, res)
