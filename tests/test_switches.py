"""--fewest-switches: counterexamples with the fewest context switches (hugemc.explore.switches)."""

import json
import subprocess
import sys
import tomllib

import pytest

from conftest import EXAMPLES, ROOT, check_file, violated


def _violated_examples():
    out = []
    for p in sorted(EXAMPLES.glob("*.toml")):
        expect = tomllib.loads(p.read_text()).get("expect", "holds")
        if expect != "holds":
            out.append(p)
    return out


@pytest.mark.parametrize("path", _violated_examples(), ids=lambda p: p.stem)
def test_fewest_switches_on_every_violated_example(path):
    plain = check_file(path)  # validates every trace
    fewer = check_file(path, fewest_switches=True)  # validates every trace (replay)
    assert violated(fewer) == violated(plain)
    by_prop = {v.property: v for v in plain.violations}
    for v in fewer.violations:
        b = by_prop[v.property]
        assert v.kind == b.kind
        assert v.trace.switches <= b.trace.switches, v.property
        if v.trace.switches == b.trace.switches:
            assert len(v.trace.steps) <= len(b.trace.steps), v.property


def test_fewest_switches_finds_fewer_on_the_dissolve_race():
    plain = check_file(EXAMPLES / "dissolve-2021-race.toml")
    fewer = check_file(EXAMPLES / "dissolve-2021-race.toml", fewest_switches=True)
    p = {v.property: v.trace.switches for v in plain.violations}
    f = {v.property: v.trace.switches for v in fewer.violations}
    assert f["not_in_buddy_and_hugetlb_pool"] < p["not_in_buddy_and_hugetlb_pool"]


def test_switches_is_the_count_of_thread_changes():
    r = check_file(EXAMPLES / "lost-update.toml", fewest_switches=True)
    t = r.violations[0].trace
    assert t.switches == sum(1 for a, b in zip(t.steps, t.steps[1:]) if a.thread != b.thread)


def test_cli_fewest_switches(tmp_path):
    out = tmp_path / "r.json"
    cmd = [sys.executable, "-m", "hugemc.cli", "check", str(EXAMPLES / "lost-update.toml"), "--fewest-switches",
           "--json", str(out), "--no-color", "--width", "200", "-v"]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "switch" in p.stdout
    d = json.loads(out.read_text())
    t = d["scenarios"][0]["violations"][0]["trace"]
    assert isinstance(t["switches"], int)
