"""Counterexamples as graphs: structure, relevance, and every export."""

import io
import re
import shutil
import subprocess
import sys

import networkx as nx
import pytest

from conftest import EXAMPLES, ROOT, check_file
from hugemc.report.export import export
from hugemc.report.graphs import CONFLICT, PO, interleaving_graph, path_graph, to_mermaid


def violation(name, prop):
    r = check_file(EXAMPLES / f"{name}.toml")
    return r, next(v for v in r.violations if v.property == prop)


def test_stale_reference_leak_has_the_try_get_free_conflict():
    _, v = violation("free-pages-2020-leak", "no_leak")
    g = interleaving_graph(v.trace, v.focus)
    steps = {s.index: s for s in v.trace.steps}
    try_get = next(i for i, s in steps.items() if s.thread == "lookup" and "atomic_inc_not_zero" in s.code)
    owner_put = next(i for i, s in steps.items() if s.thread == "owner" and s.function == "put_page_testzero")
    assert g.has_edge(try_get, owner_put)
    e = g.edges[try_get, owner_put]
    assert e["kind"] == CONFLICT and "pages[0]._refcount" in e["slots"]
    assert "ghost" not in e["slots"]  # ghost state is not a dependency


def test_null_deref_graph_has_one_thread():
    _, v = violation("seed-v1-null-deref", "null_deref")
    g = interleaving_graph(v.trace, v.focus)
    assert {d["thread"] for _, d in g.nodes(data=True)} == {"alloc"}
    assert g.number_of_nodes() == 2 and all(d["kind"] == PO for _, _, d in g.edges(data=True))
    assert all(d["relevant"] for _, d in g.nodes(data=True))
    p = path_graph(v.trace)
    assert p.number_of_nodes() == 3 and p.nodes[2]["violating"] and p.nodes[2]["error"]


def test_relevance_dims_the_threads_a_property_does_not_depend_on():
    _, v = violation("lost-update", "no_lost_update")
    assert v.focus == ["hits"]
    g = interleaving_graph(v.trace, v.focus)
    rel = {d["thread"] for _, d in g.nodes(data=True) if d["relevant"]}
    assert rel == {"plain0", "plain1"}


def test_graphml_round_trip(tmp_path):
    r, v = violation("free-pages-2020-leak", "no_leak")
    text = export(r, v, "graphml")
    h = nx.read_graphml(io.StringIO(text))
    g = interleaving_graph(v.trace, v.focus)
    assert h.number_of_nodes() == g.number_of_nodes() and h.number_of_edges() == g.number_of_edges()
    for n, d in g.nodes(data=True):
        hd = h.nodes[str(n)]
        for k, val in d.items():
            assert hd[k] == val, (k, hd[k], val)
    for a, b, d in g.edges(data=True):
        assert h.edges[str(a), str(b)] == d


def test_json_export_loads_back():
    r, v = violation("lost-update", "no_lost_update")
    import json
    data = json.loads(export(r, v, "json"))
    g = nx.node_link_graph(data, edges="edges")
    assert g.number_of_nodes() == len(v.trace.steps)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (CI installs it)")
def test_dot_accepted_by_graphviz(tmp_path):
    for name, prop in (("lost-update", "no_lost_update"), ("free-pages-2020-leak", "no_leak"),
                       ("seed-v1-null-deref", "null_deref")):
        r, v = violation(name, prop)
        for which in ("interleaving", "path"):
            p = subprocess.run(["dot", "-Tsvg"], input=export(r, v, "dot", which), capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
            assert "<svg" in p.stdout


MERMAID_LINE = re.compile(r"^    (participant P\d+ as [^;#\n]+|P\d+->>P\d+: [^;#\n]+|Note over P\d+: [^;#\n]+)$")


def check_mermaid(text: str) -> None:
    """The subset of Mermaid's sequence-diagram syntax we emit, checked line by line."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "sequenceDiagram"
    declared = set()
    for line in lines[1:]:
        assert MERMAID_LINE.match(line), line
        ids = re.findall(r"P\d+", line.split(":")[0])
        if line.strip().startswith("participant"):
            declared.add(ids[0])
        else:
            assert set(ids) <= declared, line


@pytest.mark.parametrize("name,prop", [("lost-update", "no_lost_update"), ("free-pages-2020-leak", "no_leak"),
                                       ("seed-v1-null-deref", "null_deref"),
                                       ("vmemmap-head-6.2-unfrozen", "refcount_conserved")])
def test_mermaid_syntax(name, prop):
    _, v = violation(name, prop)
    text = to_mermaid(v.trace)
    check_mermaid(text)
    for t in {s.thread for s in v.trace.steps}:
        assert f" as {t}" in text
    if name != "seed-v1-null-deref":  # that one touches only its own locals before faulting
        assert "pages[0]" in text or "hits" in text


def run(*args):
    return subprocess.run([sys.executable, "-m", "hugemc.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_trace_and_graph_commands(tmp_path):
    out = tmp_path / "r.json"
    assert run("check", EXAMPLES / "lost-update.toml", "--json", out).returncode == 0
    t = run("trace", out, "--no-color", "--width", "120")
    assert t.returncode == 0 and "plain0" in t.stdout and "hits: 0→1" in t.stdout
    for fmt in ("dot", "graphml", "mermaid", "json", "table"):
        r = run("trace", out, "--format", fmt)
        assert r.returncode == 0 and r.stdout, fmt
    g = run("graph", EXAMPLES / "lost-update.toml", "--format", "graphml", "--out", tmp_path / "s.graphml")
    assert g.returncode == 0
    h = nx.read_graphml(tmp_path / "s.graphml")
    assert h.number_of_nodes() == 48 + 0  # the 48 reachable states; the lost update has no error nodes
    assert any(d["final"] for _, d in h.nodes(data=True))
    big = run("graph", EXAMPLES / "seed-merged-contended.toml")
    assert big.returncode == 2 and "--max-states" in big.stderr
    if shutil.which("dot") is None:
        r = run("trace", out, "--format", "dot", "--out", tmp_path / "x.svg")
        assert r.returncode == 2 and "Graphviz is not installed" in r.stderr
    else:
        r = run("trace", out, "--format", "dot", "--out", tmp_path / "x.svg")
        assert r.returncode == 0 and "<svg" in (tmp_path / "x.svg").read_text()


def test_state_graph_marks_violating_states(tmp_path):
    g = run("graph", EXAMPLES / "seed-v1-null-deref.toml", "--format", "json")
    import json
    data = json.loads(g.stdout)
    errors = [n for n in data["nodes"] if str(n["id"]).startswith("error")]
    assert errors and all(n["violating"] for n in errors)
    assert any("null_deref" in n["violates"] for n in errors)
