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
    # (each assert is its own site: the freezer's "nobody holds a reference" check fails)
    assert "assert@freezer" in bad["violations"]
    assert set(bad["violations"]) <= {"assert@freezer", "assert@getter", "domain_overflow"}


@pytest.mark.skipif(not (shutil.which("spin") and shutil.which("gcc")), reason="spin and gcc not installed")
def test_spin_agrees():
    b = bench()
    assert b.measure_spin(2, 2)["errors"] == 0
    assert b.measure_spin(2, 2, bug=True)["errors"] >= 1


# --- the hugemc-only families: the seed's merged patch and gigantic prep, scaled ---

def test_seed_scenario_spreads_scanners_and_matches_the_example():
    import tomllib
    b = bench()
    assert b.seed_scanner_pfns(3, 4) == [0, 2, 0]
    assert b.seed_scanner_pfns(3, 6) == [0, 2, 4]
    # 4 readers x 4 pages is examples/seed-merged-contended.toml
    gen = tomllib.loads(b.seed_scenario_text(4, 4))
    ex = tomllib.loads((ROOT / "examples" / "seed-merged-contended.toml").read_text())
    for key in ("models", "property_files", "properties", "init", "expect", "defines"):
        assert gen[key] == ex[key], key

    def calls(sc):
        out = {}
        for spec in sc["threads"].values():
            call, n = (spec, 1) if isinstance(spec, str) else (spec["call"], spec.get("count", 1))
            out[call] = out.get(call, 0) + n
        return out
    assert calls(gen) == calls(ex)
    # more scanners on one head than REF_MAX allows for raise REF_MAX
    assert "REF_MAX = 5" in b.seed_scenario_text(4, 2)
    for bad in ((0, 4), (2, 3), (2, 0)):
        with pytest.raises(ValueError):
            b.seed_scenario_text(*bad)


def test_gigantic_scenario_sizes():
    import tomllib
    b = bench()
    assert b.gigantic_scanner_pfns(1) == [0, 1]
    assert b.gigantic_scanner_pfns(7) == [0, 1, 3, 7]
    sc = tomllib.loads(b.gigantic_scenario_text(3))
    assert sc["defines"] == {"NR_PAGES": 4, "GIGANTIC_PREP": 3, "GIGANTIC_ORDER": 2}
    ex = tomllib.loads((ROOT / "examples" / "gigantic-merged.toml").read_text())
    for key in ("models", "property_files", "properties", "init", "expect"):
        assert sc[key] == ex[key], key
    for bad in (0, 2, 4, 31):
        with pytest.raises(ValueError):
            b.gigantic_scenario_text(bad)
    assert b.parse_size("gigantic", "7") == (7,) and b.parse_size("seed", "3x6") == (3, 6)
    with pytest.raises(ValueError):
        b.parse_size("seed", "3")


@pytest.mark.parametrize("family, must_reach", [
    ("seed", {"freeze_failed_then_retried", "alloc_gave_up"}),
    ("gigantic", {"gigantic_prep_undo_ran"}),
])
def test_family_smallest_size_holds(family, must_reach):
    b = bench()
    size = min(b.FAMILY_SIZES[family], key=lambda s: (sum(s), s))
    r = b.measure_family(family, size)
    assert r["verdict"] == "holds", r
    assert r["violations"] == [] and r["complete"] and r["unreached"] == []
    assert r["states"] > 1000 and r["transitions"] > r["states"]
    assert must_reach <= set(r["reached"])


def test_smoke_cli_prints_the_family_rows():
    import re
    import subprocess
    import sys
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--family", "seed",
                        "--family", "gigantic"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "## refcount" not in out  # only the families asked for
    seed = re.findall(r"^\| 2 x 2 \| hugemc \| ([\d,]+) \| ([\d,]+) \|", out, re.M)
    gig = re.findall(r"^\| 1 \| hugemc \| ([\d,]+) \| ([\d,]+) \|", out, re.M)
    assert seed and gig
    assert all(int(s.replace(",", "")) > 0 for row in seed + gig for s in row)
    assert "| R x P | tool |" in out and "| T | tool |" in out
    assert "| spin |" not in out  # no Promela model of these families
    assert out.count("Verdict: holds at every size") == 2


def test_write_keeps_the_sections_not_rerun(tmp_path):
    b = bench()
    res = tmp_path / "RESULTS.md"
    res.write_text((ROOT / "bench" / "RESULTS.md").read_text())
    fake = {"tool": "hugemc", "states": 10, "transitions": 20, "seconds": 0.1, "states_per_second": 100.0,
            "peak_rss": 1 << 20, "bytes_per_state": 50.0, "verdict": "holds", "reached": ["gigantic_prep_undo_ran"]}
    out = {"rows": [b.TABLE_HEAD.format(axes="T"), "|---|", b.fmt_row("1", fake)], "ratios": [],
           "verdict": b.verdict_line([((1,), fake)]), "ok": True}
    b.write_results({"gigantic": out}, res)
    text = res.read_text()
    assert "## " + b.TITLES["gigantic"] in text and "| 1 | hugemc | 10 | 20 |" in text
    assert "## " + b.TITLES["refcount"] in text and "| N x M | tool |" in text  # kept, from the old format
    assert "Why the state counts differ" in text
    assert "## largest refcount sizes" in text  # a hand-written section stays where it was
    b.write_results({"seed": dict(out, verdict="Verdict: holds at every size.")}, res)
    again = res.read_text()
    assert "| 1 | hugemc | 10 | 20 |" in again and "## " + b.TITLES["seed"] in again
    assert again.index(b.TITLES["refcount"]) < again.index(b.TITLES["seed"]) < again.index(b.TITLES["gigantic"])
    bad = dict(fake, verdict="violated", violations=["no_leak"])
    assert "NOT as expected at 1: violated (no_leak)" in b.verdict_line([((1,), bad)])
