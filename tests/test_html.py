"""The self-contained HTML report: generation and escaping (no browser), and
stepping through real reports in a headless Chromium (Playwright).

The browser tests skip, saying why, only when Chromium cannot be launched;
with HUGEMC_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead. Each saves a
screenshot under tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, check_file, trace_of
from hugemc.diagnostics import resolve_display_path
from hugemc.report.graphs import CONFLICT, PO, interleaving_graph
from hugemc.report.html import embed_json, render_html, write_html
from hugemc.report.svg import interleaving_svg
from hugemc.result import Op, PropertyResult, ScenarioResult, Stats, Trace, TraceStep, Violation

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SVG_NS = "{http://www.w3.org/2000/svg}"
DATA_RE = re.compile(r'<script type="application/json" id="hugemc-data">(.*?)</script>', re.S)


def hugemc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hugemc.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT)


def embedded(html: str) -> dict:
    blocks = DATA_RE.findall(html)
    assert len(blocks) == 1
    assert "</" not in blocks[0] and "<" not in blocks[0]
    return json.loads(blocks[0])


class _Doc(HTMLParser):
    """Collects the elements and attributes of a page."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Doc:
    d = _Doc()
    d.feed(html)
    return d


# ---------------------------------------------------------------- a hostile trace

EVIL_CODE = '</script><script>alert("code")</script><img src=x onerror=alert(1)>'
EVIL_SLOT = '<img src=x onerror=alert("slot")>'
EVIL_THREAD = "t</b><script>alert('thread')</script>"
EVIL_FILE = '"><svg onload=alert(1)>.c'


def hostile_result(tmp_path: Path, tame: bool = False) -> ScenarioResult:
    """A result whose every string is hostile markup; ``tame``: the same with the markup characters replaced."""
    def h(x: str) -> str:
        return re.sub(r"[<>\"'&]", "_", x) if tame else x
    f = h(EVIL_FILE)
    (tmp_path / f).write_text(h("int x;\n/* </script><script>alert('source')</script> */\nvoid f(void) { x = 1; }\n"))
    s1 = TraceStep(1, h(EVIL_THREAD), f, 3, h(EVIL_CODE), {h(EVIL_SLOT): [0, h("<&>")]},
                   messages=[h("info: </script> & <b>")], ops=[Op(f, 3, h(EVIL_CODE), {h(EVIL_SLOT): [0, h("<&>")]})],
                   reads={"x": 0}, function=h("f<script>"))
    s2 = TraceStep(2, "other", f, 3, "x = 1;", {"x": [0, 1]}, error=h("boom </script><script>alert(2)</script>"),
                   reads={h(EVIL_SLOT): h("<&>")}, function="f")
    tr = Trace({h(EVIL_SLOT): 0, "x": 0}, [s1, s2], {h(EVIL_SLOT): h("<&>"), "x": 1})
    return ScenarioResult(name=h("evil<script>"), file=h("evil</script>.toml"), verdict="violated", expected="holds",
                          ok=False, violations=[Violation(h("p<script>"), "invariant", h("msg </script><b>"), tr, f, 3)],
                          properties=[PropertyResult(h("p<script>"), "invariant", h("<i>desc</i>"), "violated")],
                          problems=[h("unexpected violation of p<script>: </script>")], stats=Stats(states=3),
                          description=h("<script>alert('desc')</script>"))


def test_hostile_trace_is_escaped(tmp_path):
    r = hostile_result(tmp_path)
    html = render_html([r], cwd=tmp_path)
    doc = parse(html)
    # exactly the elements of the same report with tame strings: nothing injected
    assert doc.tags == parse(render_html([hostile_result(tmp_path, tame=True)], cwd=tmp_path)).tags
    assert doc.tags.count("script") == 2 and "img" not in doc.tags
    assert not [a for a in doc.attrs if a[1].startswith("on")]
    for raw in (EVIL_CODE, EVIL_SLOT, EVIL_THREAD, EVIL_FILE, "<i>desc</i>"):
        assert raw not in html
    # the data block survives intact, hostile strings included
    data = embedded(html)
    t = data["traces"][0]
    assert t["steps"][0]["code"] == EVIL_CODE
    assert t["steps"][0]["changes"] == {EVIL_SLOT: [0, "<&>"]}
    assert t["threads"] == [EVIL_THREAD, "other"]
    assert "</script><script>alert('source')" in data["sources"][EVIL_FILE]
    # shown as text where the markup is static
    text = "".join(doc.text)
    assert "evil<script>" in text and "<i>desc</i>" in text and "msg </script><b>" in text


def test_embed_json_round_trip():
    data = {"a": "</script><!-- & \u2028 >", "b": [1, None, "→"]}
    text = embed_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


def test_svg_of_hostile_trace_is_well_formed(tmp_path):
    tr = hostile_result(tmp_path).violations[0].trace
    svg = interleaving_svg(tr, id_prefix="x")
    root = ET.fromstring(svg)  # well-formed XML: everything escaped
    texts = "".join(root.itertext())
    assert "</script>" in texts  # as text, not markup
    assert not [e for e in root.iter() if e.tag in (f"{SVG_NS}script", "script", "img")]


# ------------------------------------------------------------ real results

@pytest.fixture(scope="module")
def lost_update():
    return check_file(EXAMPLES / "lost-update.toml")


@pytest.fixture(scope="module")
def null_deref():
    return check_file(EXAMPLES / "seed-v1-null-deref.toml")


def test_report_embeds_the_traces_and_sources(lost_update, null_deref):
    html = render_html([lost_update, null_deref], cwd=ROOT)
    data = embedded(html)
    tr = [t for t in data["traces"] if t["kind"] == "violation"]
    assert [(t["scenario"], t["property"]) for t in tr] == [("lost-update", "no_lost_update"),
                                                             ("seed-v1-null-deref", "null_deref")]
    lu = trace_of(lost_update, "no_lost_update")
    assert tr[0]["initial"] == lu.initial
    assert [(s["thread"], s["line"], s["changes"]) for s in tr[0]["steps"]] == \
        [(s.thread, s.line, s.changes) for s in lu.steps]
    assert tr[0]["threads"] == ["plain0", "plain1", "atomic0", "atomic1"]
    # the model files the traces touch are embedded, verbatim (tabs expanded)
    for f in {s.file for s in lu.steps} | {s.file for s in trace_of(null_deref, "null_deref").steps}:
        path = resolve_display_path(f, ROOT)  # library files are named relative to the library
        assert data["sources"][f] == path.read_text(encoding="utf-8").expandtabs(8)
    # verdict table: one row per scenario, with stats
    doc = parse(html)
    assert [v for t, k, v in doc.attrs if k == "data-scenario"] == ["lost-update", "seed-v1-null-deref"]
    assert f"{lost_update.stats.states:,}" in html
    # one step-through view per counterexample, no external resource
    assert html.count('<article class="cx"') == len(data["traces"])
    for tag, k, v in doc.attrs:
        if k in ("src", "href") and v:
            assert v.startswith("#"), (tag, k, v)
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_sources_missing_still_render(lost_update, tmp_path):
    data = embedded(render_html([lost_update], cwd=tmp_path))  # paths do not resolve from there
    assert set(data["sources"].values()) == {None}


def test_only_one_violation(lost_update, null_deref):
    data = embedded(write_html([lost_update, null_deref], only=("seed-v1-null-deref", "null_deref")))
    assert [(t["scenario"], t["property"]) for t in data["traces"]] == [("seed-v1-null-deref", "null_deref")]


def test_witnesses_are_stepped_through_too():
    r = check_file(EXAMPLES / "seed-merged-two-readers.toml")
    data = embedded(render_html([r], cwd=ROOT))
    assert {t["property"] for t in data["traces"] if t["kind"] == "witness"} == \
        {p.name for p in r.properties if p.witness is not None} == {"freeze_failed_then_retried", "alloc_gave_up"}


def test_svg_nodes_and_edges(lost_update):
    tr = trace_of(lost_update, "no_lost_update")
    g = interleaving_graph(tr)
    root = ET.fromstring(interleaving_svg(tr, id_prefix="cx9"))
    groups = [e for e in root.iter(f"{SVG_NS}g")]
    nodes = [e for e in groups if "node" in e.get("class", "").split()]
    assert [int(n.get("data-step")) for n in nodes] == [s.index for s in tr.steps]
    assert [n.get("id") for n in nodes] == [f"cx9-n{s.index}" for s in tr.steps]
    for n in nodes:
        k = int(n.get("data-step"))
        assert ("relevant" in n.get("class")) == g.nodes[k]["relevant"]
        assert ("dim" in n.get("class")) != g.nodes[k]["relevant"]
        assert n.get("data-thread") == g.nodes[k]["thread"]
    edges = [e for e in root.iter() if "edge" in e.get("class", "").split()]
    conflicts = {(int(e.get("data-from")), int(e.get("data-to"))): "".join(e.itertext())
                 for e in edges if "conflict" in e.get("class").split()}
    po = {(int(e.get("data-from")), int(e.get("data-to"))) for e in edges if "po" in e.get("class").split()}
    assert po == {(a, b) for a, b, d in g.edges(data=True) if d["kind"] == PO}
    want = {(a, b): d["slots"] for a, b, d in g.edges(data=True) if d["kind"] == CONFLICT}
    assert set(conflicts) == set(want) and want  # the race on hits shows as conflict edges
    for e, text in conflicts.items():
        assert want[e] in text  # labelled (and titled) with the slot
    # one lane per thread
    lanes = [e.get("data-thread") for e in groups if e.get("class") == "lane"]
    assert lanes == ["plain0", "plain1", "atomic0", "atomic1"]


def test_cli_check_html_and_trace_html(tmp_path):
    out, js = tmp_path / "r.html", tmp_path / "r.json"
    r = hugemc("check", "examples/lost-update.toml", "examples/seed-v1-null-deref.toml", "--html", out, "--json", js)
    assert r.returncode == 0, r.stdout + r.stderr
    data = embedded(out.read_text(encoding="utf-8"))
    assert [t["property"] for t in data["traces"]] == ["no_lost_update", "null_deref"]
    assert data["sources"]["examples/lost-update.c"]
    one = tmp_path / "one.html"
    t = hugemc("trace", js, "--violation", "null_deref", "--format", "html", "--out", one)
    assert t.returncode == 0, t.stderr
    assert [x["property"] for x in embedded(one.read_text(encoding="utf-8"))["traces"]] == ["null_deref"]
    t = hugemc("trace", js, "--format", "html")
    assert t.returncode == 0 and t.stdout.startswith("<!DOCTYPE html>")
    assert [x["property"] for x in embedded(t.stdout)["traces"]] == ["no_lost_update"]


@pytest.mark.parametrize("target,why", [("/etc/passwd", "outside the project and the library"),
                                        ("/proc/self/environ", "/proc, /sys and /dev are never read")])
def test_trace_html_never_embeds_files_outside(tmp_path, target, why):
    """A result JSON may name any file: the page embeds only the project's and the library's sources."""
    (tmp_path / ".git").mkdir()  # the project
    (tmp_path / "m.c").write_text("int x;\nvoid f(void) { x = 1; }\n")
    (tmp_path / "link.c").symlink_to(target)
    steps = [TraceStep(1, "t", f, 2, "x = 1;", {"x": [0, 1]}) for f in ("m.c", target, "link.c")]
    tr = Trace({"x": 0}, steps, {"x": 1})
    r = ScenarioResult(name="s", file="s.toml", verdict="violated", expected="holds", ok=False,
                       violations=[Violation("p", "invariant", "m", tr, "m.c", 2)], stats=Stats(states=3))
    js = tmp_path / "r.json"
    from hugemc.report import write_json
    with open(js, "w", encoding="utf-8") as fh:
        write_json([r], fh)
    t = hugemc("trace", js, "--format", "html", cwd=tmp_path)
    assert t.returncode == 0 and "Traceback" not in t.stderr
    data = embedded(t.stdout)
    assert data["sources"]["m.c"].startswith("int x;")
    assert data["sources"][target] is None and data["sources"]["link.c"] is None
    assert why in data["source_notes"][target] and data["source_notes"]["link.c"]
    assert "root:" not in t.stdout and "PATH=" not in t.stdout
    assert f"the source of {target} is not embedded" in " ".join(t.stderr.split())


# ------------------------------------------------------------ in a browser

SNAPSHOT_JS = """() => {
  const a = document.querySelector('article.cx:not([hidden])');
  const panels = {};
  a.querySelectorAll('.panel').forEach(p => {
    const cur = p.querySelector('.src-line.current');
    panels[p.dataset.thread] = {acting: p.classList.contains('acting'), line: cur ? +cur.dataset.line : null,
      text: cur ? cur.querySelector('.txt').textContent : null, error: cur ? cur.classList.contains('error') : false,
      upcoming: p.querySelector('.src-line.upcoming') ? +p.querySelector('.src-line.upcoming').dataset.line : null};
  });
  const cells = {};
  a.querySelectorAll('td.val').forEach(td => {
    cells[td.dataset.slot] = {value: td.querySelector('.v').textContent, changed: td.classList.contains('changed'),
      read: td.classList.contains('read'), visible: td.offsetParent !== null};
  });
  return {id: a.id, k: +a.dataset.k, stepno: a.querySelector('.stepno').textContent, panels, cells,
          current: [...a.querySelectorAll('.ilgraph .node.current')].map(n => +n.dataset.step),
          card: a.querySelector('.stepcard').textContent};
}"""


def fmt(v) -> str:
    return "-" if v is None else str(v)


def expected_view(trace: dict, k: int) -> dict:
    """What the page must show after step k, computed from the JSON result."""
    state = dict(trace["initial"])
    appeared: set[str] = set()
    for s in trace["steps"][:k]:
        for slot, (_, after) in s["changes"].items():
            state[slot] = after
            appeared.add(slot)
    lines = {}
    for s in trace["steps"][:k]:
        lines[s["thread"]] = s
    return {"state": state, "appeared": appeared, "lines": lines,
            "step": trace["steps"][k - 1] if k else None}


def check_view(snap: dict, trace: dict, k: int) -> None:
    exp = expected_view(trace, k)
    assert snap["k"] == k
    assert snap["stepno"].startswith("initial state" if k == 0 else f"step {k} / {len(trace['steps'])}")
    step = exp["step"]
    threads = {s["thread"] for s in trace["steps"]}
    assert set(snap["panels"]) == threads
    for th, p in snap["panels"].items():
        assert p["acting"] == (step is not None and step["thread"] == th), (k, th)
        last = exp["lines"].get(th)
        if last is None:
            assert p["line"] is None  # not started: only its upcoming line is marked
            assert p["upcoming"] == next(s["line"] for s in trace["steps"] if s["thread"] == th)
        else:
            assert p["line"] == last["line"], (k, th)
            assert " ".join(p["text"].split()) == " ".join(last["code"].split()), (k, th)
    if step is not None:
        assert snap["panels"][step["thread"]]["error"] == bool(step.get("error"))
        assert step["code"] in snap["card"]
        if step.get("error"):
            assert step["error"] in snap["card"]
    for slot, value in exp["state"].items():
        cell = snap["cells"][slot]
        assert cell["value"] == fmt(value), (k, slot)
        assert cell["changed"] == (step is not None and slot in step["changes"]), (k, slot)
        if slot not in trace["initial"]:  # a local: shown once it has appeared
            assert cell["visible"], (k, slot)
    for slot, cell in snap["cells"].items():
        if slot not in trace["initial"] and slot not in exp["appeared"]:
            assert not cell["visible"], (k, slot)
    assert snap["current"] == ([k] if k else [])


@pytest.fixture(scope="module")
def browser():
    from browser_util import BrowserUnavailable, launch
    try:
        with launch() as b:
            yield b
    except BrowserUnavailable as e:
        if os.environ.get("HUGEMC_REQUIRE_BROWSER"):
            pytest.fail(f"HUGEMC_REQUIRE_BROWSER is set but {e}")
        pytest.skip(f"browser tests need a headless Chromium: {e}")


@pytest.fixture
def open_report(browser):
    """open_report(html_path, hash="") -> (page, blocked requests, JS errors)."""
    from browser_util import offline_page
    pages = []

    def run(path: Path, fragment: str = ""):
        blocked: list[str] = []
        errors: list[str] = []
        page = offline_page(browser, blocked)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
        page.goto(path.resolve().as_uri() + fragment)
        page.wait_for_selector("article.cx:not([hidden])")
        pages.append(page)
        return page, blocked, errors

    yield run
    for p in pages:
        p.context.close()


def report_of(tmp_path: Path, scenario: str) -> tuple[Path, dict]:
    """Check a shipped scenario with --html and --json; return the page and the JSON result."""
    html, js = tmp_path / f"{scenario}.html", tmp_path / f"{scenario}.json"
    r = hugemc("check", f"examples/{scenario}.toml", "--html", html, "--json", js)
    assert r.returncode == 0, r.stdout + r.stderr
    return html, json.loads(js.read_text(encoding="utf-8"))


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_browser_lost_update(tmp_path, open_report):
    html, result = report_of(tmp_path, "lost-update")
    trace = result["scenarios"][0]["violations"][0]["trace"]
    n = len(trace["steps"])
    assert n == 6
    page, blocked, errors = open_report(html)
    snap = lambda: page.evaluate(SNAPSHOT_JS)  # noqa: E731
    check_view(snap(), trace, 0)
    # forward with the Next button
    for k in range(1, n + 1):
        page.click("article.cx:not([hidden]) .btn.next")
        check_view(snap(), trace, k)
        if k == 3:
            s = snap()
            assert s["cells"]["hits"] == {"value": "1", "changed": True, "read": False, "visible": True}
            assert trace["steps"][2]["thread"] == "plain0" and s["panels"]["plain0"]["acting"]
            assert s["panels"]["plain0"]["line"] == trace["steps"][2]["line"] == 11
            shoot(page, "lost-update")
    assert page.is_disabled("article.cx:not([hidden]) .btn.next")
    # back with the Prev button and the keyboard (← and k), forward with → and j
    page.click("article.cx:not([hidden]) .btn.prev")
    check_view(snap(), trace, n - 1)
    page.keyboard.press("ArrowLeft")
    check_view(snap(), trace, n - 2)
    page.keyboard.press("k")
    check_view(snap(), trace, n - 3)
    page.keyboard.press("Home")
    check_view(snap(), trace, 0)
    for k in range(1, n + 1):
        page.keyboard.press("ArrowRight" if k % 2 else "j")
        check_view(snap(), trace, k)
    page.keyboard.press("ArrowRight")  # stays at the end
    check_view(snap(), trace, n)
    # a node of the graph jumps to its step
    page.click("#cx1-n2")
    check_view(snap(), trace, 2)
    assert not blocked, f"the report made network requests: {blocked}"
    assert not errors, errors


def test_browser_null_deref(tmp_path, open_report):
    html, result = report_of(tmp_path, "seed-v1-null-deref")
    trace = result["scenarios"][0]["violations"][0]["trace"]
    assert len(trace["steps"]) == 2
    page, blocked, errors = open_report(html)
    snap = lambda: page.evaluate(SNAPSHOT_JS)  # noqa: E731
    check_view(snap(), trace, 0)
    page.keyboard.press("j")
    s = snap()
    check_view(s, trace, 1)
    assert s["cells"]["alloc.retry"]["visible"] and s["cells"]["alloc.retry"]["changed"]
    page.click("article.cx:not([hidden]) .btn.next")
    s = snap()
    check_view(s, trace, 2)
    step = trace["steps"][1]
    assert s["panels"]["alloc"]["error"] and s["panels"]["alloc"]["line"] == step["line"]
    assert "NULL pointer dereference" in s["card"]
    shoot(page, "seed-v1-null-deref")
    page.keyboard.press("k")
    check_view(snap(), trace, 1)
    page.click("article.cx:not([hidden]) .btn.prev")
    check_view(snap(), trace, 0)
    assert not blocked, f"the report made network requests: {blocked}"
    assert not errors, errors


def test_browser_switches_between_counterexamples(tmp_path, open_report):
    html, js = tmp_path / "two.html", tmp_path / "two.json"
    r = hugemc("check", "examples/lost-update.toml", "examples/seed-v1-null-deref.toml", "--html", html, "--json", js)
    assert r.returncode == 0
    result = json.loads(js.read_text(encoding="utf-8"))
    page, blocked, errors = open_report(html, "#cx2/1")  # a link to step 1 of the second counterexample
    snap = lambda: page.evaluate(SNAPSHOT_JS)  # noqa: E731
    s = snap()
    assert s["id"] == "cx2"
    check_view(s, result["scenarios"][1]["violations"][0]["trace"], 1)
    page.click('.cx-tab[data-target="cx1"]')
    s = snap()
    assert s["id"] == "cx1"
    check_view(s, result["scenarios"][0]["violations"][0]["trace"], 0)
    page.keyboard.press("ArrowRight")  # the keyboard drives the visible one
    check_view(snap(), result["scenarios"][0]["violations"][0]["trace"], 1)
    assert not blocked and not errors, (blocked, errors)


def test_browser_hostile_trace_runs_nothing(tmp_path, open_report):
    path = tmp_path / "evil.html"
    write_html([hostile_result(tmp_path)], path, cwd=tmp_path)
    page, blocked, errors = open_report(path)
    page.keyboard.press("ArrowRight")
    card = page.inner_text("article.cx:not([hidden]) .stepcard")
    assert EVIL_CODE in card and EVIL_THREAD in card
    assert EVIL_SLOT in page.inner_text("article.cx:not([hidden]) .state")
    src = page.inner_text("article.cx:not([hidden]) .panel .code")
    assert "</script><script>alert('source')</script>" in src
    assert page.evaluate("document.querySelectorAll('script').length") == 2
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert not blocked and not errors, (blocked, errors)


def test_browser_missing_source_is_said(tmp_path, open_report, lost_update):
    path = tmp_path / "nosrc.html"
    write_html([lost_update], path, cwd=tmp_path)
    page, blocked, errors = open_report(path)
    page.keyboard.press("j")
    text = page.inner_text("article.cx:not([hidden]) .panel[data-thread='plain0']")
    assert "source not available" in text and "hits++;" in text
    assert not blocked and not errors, (blocked, errors)


# ------------------------------------------------ layout at three widths, order, Back

LAYOUT_JS = """() => {
  const a = document.querySelector('article.cx:not([hidden])');
  const boxes = [...a.querySelectorAll('svg.ilgraph .edge-label')].map(t => t.getBBox());
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const p = boxes[i], q = boxes[j];
    if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height) overlaps++;
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          labels: boxes.length, overlaps: overlaps,
          rows: [...document.querySelectorAll('table.verdicts tr[data-scenario]')].map(r => r.dataset.scenario),
          tabs: [...document.querySelectorAll('.cx-tab .scn')].map(s => s.textContent)};
}"""


def test_failing_scenarios_come_first(lost_update, null_deref):
    from dataclasses import replace
    from hugemc.report.html import failing_first
    bad = replace(null_deref, ok=False)
    assert [r.name for r in failing_first([lost_update, bad])] == ["seed-v1-null-deref", "lost-update"]
    data = embedded(render_html([lost_update, bad], cwd=ROOT))
    assert [t["scenario"] for t in data["traces"]][0] == "seed-v1-null-deref"


@pytest.mark.parametrize("width", [420, 1280, 1920])
def test_browser_layout_order_and_back(tmp_path, browser, width, lost_update):
    """No horizontal overflow of the page, conflict labels apart, failing scenarios first, Back restores the step."""
    from dataclasses import replace
    from browser_util import offline_page
    # dissolve-vmemmap-restore: many conflict edges between two threads; a made-up failure to be sorted first
    many = check_file(EXAMPLES / "dissolve-vmemmap-restore.toml")
    failing = replace(lost_update, name="lost-update-failing", ok=False)
    path = tmp_path / "layout.html"
    write_html([many, failing], path, cwd=ROOT)
    blocked: list[str] = []
    errors: list[str] = []
    page = offline_page(browser, blocked, width=width, height=900)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("article.cx:not([hidden])")
        lay = page.evaluate(LAYOUT_JS)
        assert lay["rows"] == ["lost-update-failing", "dissolve-vmemmap-restore"]
        assert lay["tabs"][0] == "lost-update-failing"
        assert lay["scrollWidth"] <= lay["innerWidth"], lay
        # the trace with the most conflict edges
        page.click('.cx-tab[data-target="cx2"]')
        for _ in range(3):
            page.click("article.cx:not([hidden]) .btn.next")
        lay = page.evaluate(LAYOUT_JS)
        assert lay["labels"] >= 10 and lay["overlaps"] == 0, lay
        assert lay["scrollWidth"] <= lay["innerWidth"], lay
        k = lambda: page.evaluate("+document.querySelector('article.cx:not([hidden])').dataset.k")  # noqa: E731
        assert k() == 3
        page.click("article.cx:not([hidden]) .btn.next")
        page.keyboard.press("ArrowRight")
        assert k() == 5 and page.evaluate("location.hash") == "#cx2/5"
        page.go_back()
        page.wait_for_function("location.hash === '#cx2/4'")
        assert k() == 4
        assert page.evaluate("location.hash") == "#cx2/4"
        page.go_back()
        page.wait_for_function("location.hash === '#cx2/3'")
        assert k() == 3
        page.go_forward()
        page.wait_for_function("location.hash === '#cx2/4'")
        assert k() == 4
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"layout-{width}.png"), full_page=False)
        assert not blocked and not errors, (blocked, errors)
    finally:
        page.context.close()


def test_final_violation_shows_the_final_state(tmp_path):
    r = check_file(EXAMPLES / "mutant-forget-page.toml")
    page = render_html([r])
    assert "final state:" in page and "pages[0].ghost_where" in page
