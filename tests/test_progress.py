"""Long runs talk and stop cleanly: progress lines when standard error is not
a terminal (also per scenario with --jobs), Ctrl-C (exit 130, the reports
written, the interrupted search incomplete), and a closed standard output
(no traceback, the files still written)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from hugemc.progress import LineProgress, progress_line

CONTENDED = "examples/seed-merged-contended.toml"  # about 370,000 states: many seconds


def env(interval: float = 0.2) -> dict:
    e = dict(os.environ, HUGEMC_PROGRESS_INTERVAL=str(interval))
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def test_line_progress_waits_for_its_interval():
    class Buf:
        def __init__(self):
            self.text = ""

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    buf = Buf()
    p = LineProgress("big", 10.0, stream=buf)
    p(100, 200, 3, 0.5, 7)
    assert buf.text == ""
    p(1000, 2000, 5, 10.2, 70)
    p(1100, 2100, 5, 12.0, 70)  # not yet 20 s
    p(5000, 9000, 8, 31.0, 700)  # once, not twice for the missed 20 s
    lines = buf.text.replace("\n    ", " ").splitlines()  # continuation lines joined
    assert len(lines) == 2
    assert lines[0].startswith("progress big: 10 s, 1,000 states, 2,000 transitions, depth 5, queue 70, ")
    assert "states/s" in lines[0] and "iB" in lines[0]
    assert all(len(x) <= 80 for x in buf.text.splitlines())  # a log is 80 columns wide
    assert "queue" not in progress_line("x", 1, 1, 1, 1.0, None, rss=1 << 20)


def test_progress_lines_on_a_pipe(tmp_path):
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", "--engine", "python", CONTENDED, "--max-states", "60000"],
                       cwd=ROOT, env=env(0.2), capture_output=True, text=True, timeout=300)
    assert r.returncode == 3, r.stdout + r.stderr
    assert all(len(x) <= 80 for x in r.stderr.splitlines())  # wrapped: a pipe is 80 columns
    lines = [x for x in r.stderr.replace("\n    ", " ").splitlines() if x.startswith("progress ")]
    assert lines, r.stderr
    assert all(x.startswith("progress seed-merged-contended: ") for x in lines)
    assert " states, " in lines[0] and "transitions" in lines[0] and "queue" in lines[0] and "states/s" in lines[0]


def test_progress_per_scenario_with_jobs(tmp_path):
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", "--engine", "python", CONTENDED, "examples/lost-update.toml",
                        "-j", "2", "--max-states", "60000"],
                       cwd=ROOT, env=env(0.2), capture_output=True, text=True, timeout=300)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "progress seed-merged-contended: " in r.stderr, r.stderr


def test_ctrl_c_writes_the_reports_and_exits_130(tmp_path):
    out, js, html = tmp_path / "out.txt", tmp_path / "out.json", tmp_path / "out.html"
    with open(out, "w") as fh:
        p = subprocess.Popen([sys.executable, "-m", "hugemc.cli", "check", "--engine", "python", CONTENDED, "--json", str(js),
                              "--html", str(html)], cwd=ROOT, env=env(0.1), stdout=fh, stderr=subprocess.PIPE,
                             text=True)
        try:
            seen = []
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # wait until the search is under way
                line = p.stderr.readline()
                if not line:
                    break
                seen.append(line)
                if line.startswith("progress "):
                    break
            assert any(x.startswith("progress ") for x in seen), seen
            p.send_signal(signal.SIGINT)
            rest = p.stderr.read()
            rc = p.wait(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
    assert rc == 130, "".join(seen) + rest
    assert "Traceback" not in rest
    result = json.loads(js.read_text(encoding="utf-8"))
    s = result["scenarios"][0]
    assert s["verdict"] == "incomplete" and not s["ok"], s.get("error") or s.get("problems")
    assert s["stats"]["complete"] is False and s["stats"]["limit"] == "interrupted"
    assert s["stats"]["states"] > 0
    assert any("interrupt" in x for x in s["problems"])
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    text = out.read_text(encoding="utf-8")
    assert "seed-merged-contended" in text and "states" in text  # the statistics so far


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("reader", ["head -1", "true"])  # true: the pipe is closed before anything is written
def test_closed_pipe_is_quiet_and_still_writes_the_files(tmp_path, fmt, reader):
    js, html = tmp_path / "r.json", tmp_path / "r.html"
    cmd = (f"{sys.executable} -m hugemc.cli check examples/lost-update.toml examples/seed-v1-null-deref.toml "
           f"--format {fmt} --json {js} --html {html} | {reader}")
    r = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], cwd=ROOT, env=env(), capture_output=True,
                       text=True, timeout=300)
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == (1 if reader.startswith("head") else 0)
    assert [s["name"] for s in json.loads(js.read_text(encoding="utf-8"))["scenarios"]] == \
        ["lost-update", "seed-v1-null-deref"]
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
