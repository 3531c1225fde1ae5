"""The self-contained HTML report (``hugemc check --html FILE``).

One file that opens offline: inline CSS, JavaScript and SVG, no external
resource of any kind (a Content-Security-Policy in the page forbids them). It
shows the verdict table with statistics for every scenario, and for every
counterexample (violations, warnings, and witnesses of reached ``REACHABLE``
properties) a step-through view:

- next/previous buttons, a slider, and the keyboard (←/→ or j/k, Home/End);
- one panel per thread with the model source around the thread's current line
  (the line of its most recent step at or before the current step),
  highlighted; the model files a trace touches are read at report time from
  the ``file`` paths of its steps and embedded;
- the state table: ``initial`` plus the ``changes`` of steps 1..k, locals as
  they appear, the slots the current step changed (and read) highlighted;
- the interleaving graph as inline SVG (:mod:`.svg`), the current step
  highlighted.

Everything taken from results (code, slot names, messages, paths) is
HTML-escaped when written as markup, and put into the page with
``textContent`` by the script; the data travels as JSON in a
``<script type="application/json">`` block where ``<``, ``>`` and ``&`` are
written as ``\\u003c``, ``\\u003e`` and ``\\u0026``, so no ``</script>`` can
end it early.
"""

from __future__ import annotations

import inspect
import json
import os
from dataclasses import replace
from html import escape
from pathlib import Path

from ..result import ScenarioResult, Trace
from .graphs import interleaving_graph, threads_of
from .svg import interleaving_svg

#: thread colours, by order of first appearance in a trace
PALETTE = ["#2563eb", "#c026d3", "#0d9488", "#ea580c", "#7c3aed", "#16a34a", "#db2777", "#ca8a04"]

_GRAPH_HAS_FOCUS = "focus" in inspect.signature(interleaving_graph).parameters


def _final_state_html(final_state) -> str:
    """For a FINAL violation: the final values of the slots the property reads."""
    if not final_state:
        return ""
    items = ", ".join(f"<code>{_e(str(k))}</code> = {_e(str(v))}" for k, v in final_state.items())
    return f'\n    <div class="cx-final">final state: {items}</div>'


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def embed_json(data: object) -> str:
    """JSON text that is safe inside ``<script type="application/json">``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def counterexamples(results: list[ScenarioResult]) -> list[dict]:
    """Every trace the report steps through, in order: per scenario its
    violations, then its warnings, then the witnesses of reached properties.

    Each entry: ``id`` (``cx1``, ``cx2``, …), ``scenario``, ``kind``
    (``violation``, ``warning``, ``witness``), ``property``, ``type`` (the
    property's or error's kind), ``message``, ``focus`` and ``trace``.
    """
    out: list[dict] = []

    def add(r: ScenarioResult, kind: str, prop: str, typ: str, message: str, trace: Trace, focus,
            final_state=None) -> None:
        out.append({"id": f"cx{len(out) + 1}", "scenario": r.name, "kind": kind, "property": prop, "type": typ,
                    "message": message, "focus": list(focus or []), "trace": trace,
                    "final_state": dict(final_state or {})})

    for r in results:
        for v in r.violations:
            add(r, "violation", v.property, v.kind, v.message, v.trace, getattr(v, "focus", None),
                getattr(v, "final_state", None))
        for w in r.warnings:
            add(r, "warning", w.property, w.kind, w.message, w.trace, None)
        for p in r.properties:
            if p.witness is not None:
                add(r, "witness", p.name, p.kind, f"reachable property '{p.name}' reached"
                    + (f": {p.description}" if p.description else ""), p.witness, None)
    return out


def source_refusal(path: Path, roots) -> str | None:
    """Why the page must not embed file ``path`` (None: it may).

    A result JSON can name any file; models come from pull requests in CI. So
    the same rule as for models holds: only files inside ``roots`` (the
    project and the library, symbolic links resolved), never under /proc,
    /sys or /dev.
    """
    from ..scenario import NEVER_READ, path_allowed
    try:
        rp = path.resolve()
    except (OSError, ValueError, RuntimeError):
        return "its path cannot be resolved"
    if any(rp == n or rp.is_relative_to(n) for n in NEVER_READ):
        return "files under /proc, /sys and /dev are never read"
    if not path_allowed(path, roots):
        return "it is outside the project and the library"
    return None


def source_roots(cwd: Path | None = None, trusted=()) -> tuple[Path, ...]:
    """The folders a report may embed source from: ``cwd`` (default: the working directory), its
    project, the library, and ``trusted`` (the -I folders)."""
    from ..scenario import allowed_roots
    return allowed_roots(Path(cwd or os.getcwd()), [Path(t) for t in trusted])


def read_sources(files: list[str], cwd: Path | None = None, trusted=(),
                 notes: dict[str, str] | None = None) -> dict[str, str | None]:
    """The text of each file (a library file, or relative to ``cwd``, or absolute); ``None`` when unreadable
    or refused by :func:`source_refusal` (then ``notes``, if given, gets the reason)."""
    from ..diagnostics import resolve_display_path  # library files are named relative to the library
    roots = source_roots(cwd, trusted)
    out: dict[str, str | None] = {}
    for f in files:
        if f in out or not f:
            continue
        p = resolve_display_path(f, cwd)
        why = source_refusal(p, roots)
        if why is not None:
            out[f] = None
            if notes is not None:
                notes[f] = why
            continue
        try:
            out[f] = p.read_text(encoding="utf-8", errors="replace").expandtabs(8) if p.is_file() else None
        except OSError:
            out[f] = None
    return out


def _graph(trace: Trace, focus: list[str]):
    return interleaving_graph(trace, focus=focus or None) if _GRAPH_HAS_FOCUS else interleaving_graph(trace)


def _trace_data(cx: dict) -> dict:
    t: Trace = cx["trace"]
    threads = threads_of(t)
    return {
        "id": cx["id"], "scenario": cx["scenario"], "kind": cx["kind"], "property": cx["property"],
        "type": cx["type"], "message": cx["message"], "focus": cx["focus"], "threads": threads,
        "colors": {th: PALETTE[k % len(PALETTE)] for k, th in enumerate(threads)},
        "initial": t.initial, "final": t.final,
        "steps": [{"index": s.index, "thread": s.thread, "file": s.file, "line": s.line, "function": s.function,
                   "code": s.code, "changes": s.changes, "reads": s.reads, "messages": s.messages,
                   "error": s.error, "ops": [[o.file, o.line] for o in s.ops]} for s in t.steps],
    }


def report_data(results: list[ScenarioResult], cwd: Path | None = None, trusted=()) -> dict:
    """What the page's script reads: the traces, the source text of the files they touch, and
    (``source_notes``) why a file's source is left out."""
    from .. import __version__
    cxs = counterexamples(results)
    files: list[str] = []
    for cx in cxs:
        for s in cx["trace"].steps:
            for f in [s.file] + [o.file for o in s.ops]:
                if f and f not in files:
                    files.append(f)
    notes: dict[str, str] = {}
    sources = read_sources(files, cwd, trusted, notes)
    return {"hugemc": __version__, "traces": [_trace_data(cx) for cx in cxs], "sources": sources,
            "source_notes": notes}


def _fmt_bytes(n: float) -> str:
    from .text import fmt_bytes
    return fmt_bytes(n)


def _verdict_class(r: ScenarioResult) -> str:
    if r.verdict == "error":
        return "bad"
    if r.ok:
        return "good"
    return "warn" if r.verdict == "incomplete" else "bad"


def _verdict_rows(results: list[ScenarioResult], cxs: list[dict]) -> str:
    rows = []
    for r in results:
        s = r.stats
        exp = "—" if r.expected is None else (r.expected if isinstance(r.expected, str) else ", ".join(r.expected))
        links = " ".join(
            f'<a class="cx-link kind-{cx["kind"]}" href="#{cx["id"]}" data-target="{cx["id"]}">'
            f'{_e(cx["property"])}<small>{len(cx["trace"].steps)}</small></a>'
            for cx in cxs if cx["scenario"] == r.name)
        mark = "✓" if r.ok else "✗"
        limit = f", cut short by {s.limit}" if s.limit else ""
        stats = ("—" if r.verdict == "error" else
                 f'<span title="states">{s.states:,}</span> / <span title="transitions">{s.transitions:,}</span>'
                 f'<br><small>depth {s.depth} · {s.seconds:.2f} s · {s.states_per_second:,.0f}/s · '
                 f'{_fmt_bytes(s.peak_rss_bytes)} · {_e(s.strategy)}{_e(limit)}</small>')
        rows.append(
            f'<tr class="{_verdict_class(r)}" data-scenario="{_e(r.name)}">'
            f'<td class="mark">{mark}</td>'
            f'<td class="scenario"><b>{_e(r.name)}</b><br><small class="path">{_e(r.file)}</small>'
            + (f'<div class="desc">{_e(r.description)}</div>' if r.description else "") +
            f'</td><td><span class="verdict v-{_e(r.verdict)}">{_e(r.verdict)}</span></td>'
            f'<td class="expected">{_e(exp)}</td><td class="stats">{stats}</td><td class="links">{links or "—"}</td>'
            f'</tr>')
        detail = []
        for p in r.problems:
            detail.append(f'<div class="problem">problem: {_e(p)}</div>')
        if r.error:
            detail.append(f'<pre class="diag">{_e(r.error)}</pre>')
        if r.properties:
            props = "".join(
                f'<tr><td><code>{_e(p.name)}</code></td><td>{_e(p.kind)}</td>'
                f'<td><span class="status st-{_e(p.status)}">{_e(p.status)}</span></td>'
                f'<td>{_e(p.description)}</td></tr>' for p in r.properties)
            detail.append(f'<details class="props"><summary>{len(r.properties)} propert'
                          f'{"y" if len(r.properties) == 1 else "ies"}</summary>'
                          f'<table class="proptable"><tbody>{props}</tbody></table></details>')
        if detail:
            rows.append(f'<tr class="detail {_verdict_class(r)}"><td></td><td colspan="5">{"".join(detail)}</td></tr>')
    return "".join(rows)


def _cx_article(cx: dict) -> str:
    t: Trace = cx["trace"]
    n = len(t.steps)
    svg = interleaving_svg(t, id_prefix=cx["id"], graph=_graph(t, cx["focus"])) if n else \
        '<p class="muted">The property fails in an initial state: there is no step.</p>'
    label = {"violation": "violation", "warning": "warning", "witness": "witness"}[cx["kind"]]
    focus_note = '<span><span class="fm">◆</span> read by the property</span>' if cx["focus"] else ""
    return f"""
<article class="cx" id="{cx['id']}" data-cx="{cx['id']}" data-k="0" hidden>
  <header class="cx-head">
    <div class="cx-title"><span class="badge kind-{cx['kind']}">{label}</span>
      <span class="scn">{_e(cx['scenario'])}</span><span class="sep">›</span>
      <span class="prop">{_e(cx['property'])}</span> <span class="muted">({_e(cx['type'])}, {n} step{'s' if n != 1 else ''})</span></div>
    <div class="cx-msg">{_e(cx['message'])}</div>{_final_state_html(cx.get('final_state'))}
  </header>
  <div class="controls" role="toolbar" aria-label="step through the trace">
    <button type="button" class="btn first" title="initial state (Home)">« First</button>
    <button type="button" class="btn prev" title="previous step (← or k)">◀ Prev</button>
    <span class="stepno" aria-live="polite">initial state</span>
    <button type="button" class="btn next" title="next step (→ or j)">Next ▶</button>
    <button type="button" class="btn last" title="last step (End)">Last »</button>
    <input type="range" class="scrub" min="0" max="{n}" value="0" aria-label="step">
    <span class="hint"><kbd>←</kbd> <kbd>→</kbd> or <kbd>k</kbd> <kbd>j</kbd> to step</span>
  </div>
  <div class="stepcard"></div>
  <div class="cx-body">
    <section class="sources"><h3>Threads</h3>
      <div class="sources-note">each thread at the line of its latest step:<span class="sw cur"></span>the acting thread
      <span class="sw oth"></span>the others<span class="sw ran"></span>other lines this step ran</div>
      <div class="panels"></div></section>
    <section class="state"><div class="state-head"><h3>State after this step</h3>
      <label class="touched"><input type="checkbox" class="touched-only"> only slots the trace touches</label></div>
      <div class="state-tables"></div>
      <div class="state-foot"><span><span class="sw chg"></span>changed by this step</span><span><span class="sw rd"></span>read by this step</span>
      <span><i>italic</i>: ghost state</span>{focus_note}</div></section>
  </div>
  <section class="graph"><div class="graph-head"><h3>Interleaving graph</h3>
    <span class="legend"><span class="lg po"></span>program order <span class="lg cf"></span>conflict (slot)
    <span class="lg dimmed"></span>not needed for the violation <span class="lg cur"></span>current step</span></div>
    <div class="graph-scroll">{svg}</div></section>
</article>"""


def failing_first(results: list[ScenarioResult]) -> list[ScenarioResult]:
    """The scenarios that did not meet their expectation first, then the others; each group in its order."""
    return [r for r in results if not r.ok] + [r for r in results if r.ok]


def render_html(results: list[ScenarioResult], only: tuple[str, str] | None = None, cwd: Path | None = None,
                title: str = "hugemc report", trusted=()) -> str:
    """The report page for ``results``.

    ``only`` = (scenario, property) keeps that one scenario with that one
    violation (``hugemc trace --format html``).
    """
    if only is not None:
        scn, prop = only
        results = [replace(r, violations=[v for v in r.violations if v.property == prop], warnings=[],
                           properties=[replace(p, witness=None) for p in r.properties])
                   for r in results if r.name == scn]
    from .. import __version__
    results = failing_first(results)
    data = report_data(results, cwd, trusted)
    cxs = counterexamples(results)
    ok = sum(1 for r in results if r.ok)
    bad = len(results) - ok
    nav = "".join(
        f'<a class="cx-tab kind-{cx["kind"]}" href="#{cx["id"]}" data-target="{cx["id"]}">'
        f'<span class="scn">{_e(cx["scenario"])}</span> › <b>{_e(cx["property"])}</b>'
        f'<small>{cx["kind"]} · {len(cx["trace"].steps)}</small></a>' for cx in cxs)
    articles = "".join(_cx_article(cx) for cx in cxs)
    none = '' if cxs else '<p class="muted">No counterexample and no witness: nothing to step through.</p>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="hugemc {_e(__version__)}">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top">
  <h1><span class="logo">hugemc</span> report</h1>
  <div class="summary {'good' if bad == 0 else 'bad'}">{len(results)} scenario{'s' if len(results) != 1 else ''}:
    {ok} met {'their' if ok != 1 else 'its'} expectation, {bad} did not</div>
  <div class="version">hugemc {_e(__version__)}</div>
</header>
<main>
<section id="verdicts" class="card">
  <h2>Verdicts</h2>
  <div class="table-scroll"><table class="verdicts">
    <thead><tr><th></th><th>scenario</th><th>verdict</th><th>expected</th><th>states / transitions</th>
    <th>counterexamples &amp; witnesses</th></tr></thead>
    <tbody>{_verdict_rows(results, cxs)}</tbody>
  </table></div>
</section>
<section id="traces" class="card">
  <h2>Step through</h2>
  <nav class="cx-nav">{nav}</nav>
  {none}{articles}
</section>
</main>
<script type="application/json" id="hugemc-data">{embed_json(data)}</script>
<script>{JS}</script>
</body>
</html>
"""


def write_html(results: list[ScenarioResult], path: str | Path | None = None, only: tuple[str, str] | None = None,
               cwd: Path | None = None, trusted=()) -> str:
    """Render the report; write it to ``path`` when given. Returns the HTML text.

    Source is embedded only from ``cwd``'s project, the library and the ``trusted`` folders."""
    text = render_html(results, only=only, cwd=cwd, trusted=trusted)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


CSS = r"""
:root{--bg:#f4f6f9;--card:#fff;--border:#e2e8f0;--text:#0f172a;--muted:#64748b;--accent:#2563eb;
--good:#15803d;--bad:#dc2626;--warn:#b45309;--chg:#fef3c7;--chg-b:#f59e0b;--read:#e0f2fe;--read-b:#38bdf8;
--cur:#fde68a;--cur-other:#e0e7ff;--mono:ui-monospace,SFMono-Regular,"JetBrains Mono",Menlo,Consolas,"DejaVu Sans Mono",monospace;
color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
code,pre,kbd,.mono{font-family:var(--mono)}
small{color:var(--muted)}
.muted{color:var(--muted)}
header.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 18px;padding:14px 24px;background:#0f172a;color:#e2e8f0}
header.top h1{margin:0;font-size:20px;font-weight:600}
.logo{font-family:var(--mono);color:#93c5fd}
.summary{font-weight:600}.summary.good{color:#86efac}.summary.bad{color:#fca5a5}
.version{margin-left:auto;color:#94a3b8;font-size:12px}
main{padding:16px 24px 40px;max-width:1800px;margin:0 auto}
.card{background:var(--card);border:1px solid var(--border);border-radius:10px;padding:14px 18px;margin-bottom:18px;box-shadow:0 1px 2px rgba(15,23,42,.04);min-width:0}
@media (max-width:640px){header.top{padding:10px 12px}main{padding:10px 8px 30px}.card{padding:10px}.hint{display:none}}
.table-scroll{overflow-x:auto;max-width:100%}
h2{margin:0 0 10px;font-size:16px}
h3{margin:0 0 8px;font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
table{border-collapse:collapse}
table.verdicts{width:100%}
.verdicts th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;border-bottom:1px solid var(--border);padding:6px 10px}
.verdicts td{padding:8px 10px;border-top:1px solid var(--border);vertical-align:top}
.verdicts tr.detail td{border-top:none;padding-top:0}
.verdicts .mark{font-size:18px;font-weight:700;width:28px}
tr.good .mark{color:var(--good)}tr.bad .mark{color:var(--bad)}tr.warn .mark{color:var(--warn)}
.verdicts .path{font-family:var(--mono);overflow-wrap:anywhere}
.verdicts td.scenario{min-width:220px;width:34%}
.verdicts td.expected{max-width:260px}
.desc{color:var(--muted);font-size:12px}
.verdict{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;background:#e2e8f0}
.v-holds{background:#dcfce7;color:var(--good)}.v-violated{background:#fee2e2;color:var(--bad)}
.v-incomplete{background:#fef3c7;color:var(--warn)}.v-error{background:#fecaca;color:#991b1b}
.expected{font-family:var(--mono);font-size:12px}
.stats{font-variant-numeric:tabular-nums;white-space:nowrap}
.problem{color:var(--bad);font-size:13px}
pre.diag{background:#fff1f2;border:1px solid #fecdd3;border-radius:6px;padding:8px;overflow:auto;font-size:12px}
details.props summary{cursor:pointer;color:var(--muted);font-size:12px}
.proptable td{padding:2px 10px 2px 0;font-size:12px;border:none}
.status{font-weight:600}.st-holds,.st-reached{color:var(--good)}.st-violated,.st-unreached{color:var(--bad)}.st-unknown{color:var(--warn)}
a.cx-link{display:inline-block;margin:0 4px 4px 0;padding:1px 8px;border-radius:6px;background:#eff6ff;color:var(--accent);text-decoration:none;font-family:var(--mono);font-size:12px}
a.cx-link small{margin-left:6px}
a.cx-link.kind-violation{background:#fef2f2;color:var(--bad)}a.cx-link.kind-warning{background:#fffbeb;color:var(--warn)}
.cx-nav{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:14px}
.cx-tab{display:flex;flex-wrap:wrap;max-width:100%;overflow-wrap:anywhere;gap:0 6px;align-items:baseline;padding:5px 10px;border:1px solid var(--border);border-radius:8px;color:var(--text);text-decoration:none;font-size:13px;background:#f8fafc}
.cx-tab .scn{color:var(--muted)}
.cx-tab.active{border-color:var(--accent);background:#eff6ff;box-shadow:inset 0 -2px 0 var(--accent)}
.cx-tab.kind-violation b{color:var(--bad)}.cx-tab.kind-warning b{color:var(--warn)}.cx-tab.kind-witness b{color:var(--good)}
.cx-head{margin-bottom:10px}
.cx-title{font-size:17px;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.cx-title .prop{font-weight:700;font-family:var(--mono);overflow-wrap:anywhere}
.cx-title .scn{overflow-wrap:anywhere}
.cx-title .sep{color:var(--muted)}
.cx-msg{color:#334155;margin-top:2px;overflow-wrap:anywhere}.cx-final{margin-top:.3em;font-size:.9em;overflow-wrap:anywhere}
.badge{font-size:11px;text-transform:uppercase;letter-spacing:.05em;padding:2px 7px;border-radius:5px;font-weight:700;color:#fff;background:var(--muted)}
.badge.kind-violation{background:var(--bad)}.badge.kind-warning{background:var(--warn)}.badge.kind-witness{background:var(--good)}
.controls{position:sticky;top:0;z-index:5;display:flex;align-items:center;gap:8px;padding:8px 0;background:var(--card);border-bottom:1px solid var(--border);flex-wrap:wrap}
.btn{font:inherit;padding:5px 12px;border-radius:7px;border:1px solid #cbd5e1;background:#fff;cursor:pointer;color:var(--text)}
.btn:hover:not(:disabled){background:#f1f5f9;border-color:#94a3b8}
.btn.next,.btn.prev{font-weight:600}
.btn.next{background:var(--accent);color:#fff;border-color:var(--accent)}
.btn.next:hover:not(:disabled){background:#1d4ed8}
.btn:disabled{opacity:.4;cursor:default}
.stepno{min-width:150px;text-align:center;font-weight:700;font-variant-numeric:tabular-nums}
.scrub{flex:1;min-width:120px;max-width:420px;accent-color:var(--accent)}
.hint{color:var(--muted);font-size:12px;margin-left:auto}
kbd{border:1px solid #cbd5e1;border-bottom-width:2px;border-radius:4px;padding:0 4px;font-size:11px;background:#f8fafc}
.stepcard{margin:10px 0 14px;padding:10px 14px;border-radius:8px;background:#f8fafc;border:1px solid var(--border);border-left:5px solid var(--muted);min-height:64px}
.stepcard.error{background:#fef2f2;border-color:#fecaca;border-left-color:var(--bad)}
.stepcard .line1{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.stepcard .where{font-family:var(--mono);font-size:12px;color:var(--muted);overflow-wrap:anywhere}
.stepcard code.c{display:block;font-size:13px;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.stepcard .fact{overflow-wrap:anywhere;min-width:0}
.stepcard .facts{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
.stepcard .fact{font-family:var(--mono)}
.fact .k{color:var(--muted)}
.fact.chg{background:var(--chg);border-radius:4px;padding:0 4px}
.fact.msg{color:var(--warn)}
.fact.err{color:var(--bad);font-weight:700}
.chip{display:inline-block;padding:0 8px;border-radius:999px;color:#fff;font-weight:700;font-size:12px;font-family:var(--mono)}
.cx-body{display:grid;grid-template-columns:minmax(0,.92fr) minmax(0,1.08fr);gap:18px;align-items:start}
@media (max-width:1100px){.cx-body{grid-template-columns:1fr}}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(500px,100%),1fr));gap:12px}
.sources-note{font-size:11px;color:var(--muted);margin:-4px 0 8px}
.sources-note .sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin:0 4px 0 10px}
.sources-note .sw.cur{background:var(--cur)}.sources-note .sw.oth{background:var(--cur-other)}.sources-note .sw.ran{background:#fffbeb;border:1px solid #fde68a}
.panel{border:1px solid var(--border);border-radius:8px;overflow:hidden;background:#fff;border-top:4px solid var(--tc,#64748b)}
.panel.acting{box-shadow:0 0 0 2px var(--tc,#64748b)}
.panel-head{display:flex;gap:8px;align-items:baseline;padding:6px 10px;background:#f8fafc;border-bottom:1px solid var(--border);flex-wrap:wrap}
.panel-head .fn{font-family:var(--mono);font-weight:600;font-size:12px}
.panel-head .loc{font-family:var(--mono);font-size:11px;color:var(--muted);margin-left:auto}
.panel-head .status{font-size:11px;color:var(--muted);font-weight:400}
.panel.acting .panel-head .status{color:var(--text);font-weight:700}
.code{font-family:var(--mono);font-size:12px;line-height:1.55;padding:4px 0;overflow-x:auto}
.src-line{display:flex;white-space:pre;min-width:max-content}
.src-line .ln{width:44px;flex:none;text-align:right;padding-right:10px;color:#94a3b8;user-select:none}
.src-line .txt{padding-right:12px}
.src-line.ran{background:#fffbeb}
.src-line.current{background:var(--cur-other);box-shadow:inset 3px 0 0 var(--tc,#64748b)}
.panel.acting .src-line.current{background:var(--cur)}
.src-line.current .ln{color:var(--text);font-weight:700}
.src-line.upcoming{background:#f1f5f9;box-shadow:inset 3px 0 0 #cbd5e1}
.src-line.error,.panel.acting .src-line.error{background:#fecaca;box-shadow:inset 3px 0 0 var(--bad)}
.nosrc{padding:8px 10px;color:var(--muted);font-size:12px}
.tk-kw{color:#7c3aed;font-weight:600}.tk-ty{color:#0369a1}.tk-c{color:#64748b;font-style:italic}.tk-s{color:#047857}
.tk-n{color:#b45309}.tk-pp{color:#be185d}.tk-fn{color:#1d4ed8}.tk-mc{color:#0f766e;font-weight:600}
.state{position:sticky;top:58px;max-height:calc(100vh - 66px);overflow:auto}
.state-head{display:flex;align-items:baseline;justify-content:space-between;gap:8px}
.touched{font-size:12px;color:var(--muted);cursor:pointer}
.state-tables{display:flex;flex-wrap:wrap;gap:12px 18px;align-items:flex-start;overflow-x:auto;padding-bottom:4px}
.stbl{font-family:var(--mono);font-size:12px}
.stbl.matrix{flex-basis:100%;width:max-content;font-size:11px}
.stbl.matrix td,.stbl.matrix th{padding:2px 5px}
.state-foot{margin-top:8px;font-size:11px;color:var(--muted);display:flex;gap:14px;flex-wrap:wrap}
.state-foot .sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin-right:4px}
.sw.chg{background:var(--chg);box-shadow:inset 0 0 0 2px var(--chg-b)}.sw.rd{background:var(--read);box-shadow:inset 0 0 0 1px var(--read-b)}
.state-foot .fm{color:var(--bad)}
.stbl caption{text-align:left;font-family:system-ui,sans-serif;font-size:12px;font-weight:700;color:#334155;padding:2px 0 4px}
.stbl th{font-weight:600;color:var(--muted);text-align:left;padding:2px 8px;background:#f8fafc;border:1px solid var(--border)}
.stbl td{padding:2px 8px;border:1px solid var(--border);white-space:nowrap}
.stbl td.name{color:#334155}
.stbl tr.ghost td.name,.stbl tr.ghost th{font-style:italic;color:#94a3b8}
.stbl td.val{font-variant-numeric:tabular-nums}
.stbl td.val.read{background:var(--read);box-shadow:inset 0 0 0 1px var(--read-b)}
.stbl td.val.changed{background:var(--chg);box-shadow:inset 0 0 0 2px var(--chg-b);font-weight:700}
.stbl td.val .was{font-weight:400;color:var(--muted);margin-left:6px;font-size:11px}
.stbl td.val .was::before{content:"was "}
.stbl .focus td.name::after,.stbl th.focus::after{content:" ◆";color:var(--bad);font-size:10px}
.stbl tr.hidden,.stbl .hidden,.stbl.hidden{display:none}
.graph{margin-top:18px}
.graph-head{display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}
.legend{font-size:12px;color:var(--muted);display:flex;align-items:center;gap:6px;flex-wrap:wrap}
.lg{display:inline-block;width:22px;height:0;margin-left:8px}
.lg.po{border-top:2px solid #475569}.lg.cf{border-top:2px dashed #dc2626}
.lg.dimmed{height:12px;width:16px;border:1px solid #64748b;border-radius:3px;opacity:.4}
.lg.cur{height:12px;width:16px;border:2px solid var(--accent);border-radius:3px;background:#dbeafe}
.graph-scroll{overflow:auto;max-width:100%;max-height:640px;border:1px solid var(--border);border-radius:8px;background:#fff}
.ilgraph{display:block}
.ilgraph .node{cursor:pointer}
.ilgraph .node:hover rect{stroke:var(--accent)}
.ilgraph .node.future rect{stroke-dasharray:4 3}
.ilgraph .node.current{opacity:1}
.ilgraph .node.current rect{fill:#dbeafe;stroke:var(--accent);stroke-width:3}
.ilgraph .node.current.error rect{fill:#fee2e2;stroke:var(--bad)}
"""

JS = r"""
(function () {
"use strict";
var DATA = JSON.parse(document.getElementById("hugemc-data").textContent);
var SRC = DATA.sources || {};
var SRC_NOTES = DATA.source_notes || {};
var WINDOW = 5;               // lines shown above and below a thread's current line
var KW = new Set(("if else while for do return break continue switch case default goto sizeof struct union enum " +
  "typedef static const volatile extern inline").split(" "));
var TY = new Set(("void int unsigned signed long short char bool _Bool atomic_t spinlock_t size_t u8 u16 u32 u64 " +
  "s8 s16 s32 s64").split(" "));
var MC = new Set(("ATOMIC INVARIANT REACHABLE FINAL GHOST __range BUG_ON VM_BUG_ON VM_BUG_ON_PAGE WARN_ON " +
  "WARN_ON_ONCE assert NULL true false").split(" "));

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
function fmt(v) { return v === null || v === undefined ? "-" : String(v); }
function base(path) { var i = path.lastIndexOf("/"); return i < 0 ? path : path.slice(i + 1); }

/* a small C tokenizer for colouring: returns, per line, a list of [class, text] */
function tokenize(text) {
  var lines = text.split("\n"), inComment = false, out = [];
  var re = /(\/\/.*)|(\/\*)|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)|([A-Za-z_]\w*)|(0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*)|(\s+)|([^\sA-Za-z_0-9"'\/]+|\/)/y;
  for (var n = 0; n < lines.length; n++) {
    var l = lines[n], toks = [], i = 0;
    if (!inComment && /^\s*#/.test(l)) { out.push([["tk-pp", l]]); continue; }
    while (i < l.length) {
      if (inComment) {
        var e = l.indexOf("*/", i);
        if (e < 0) { toks.push(["tk-c", l.slice(i)]); i = l.length; }
        else { toks.push(["tk-c", l.slice(i, e + 2)]); i = e + 2; inComment = false; }
        continue;
      }
      re.lastIndex = i;
      var m = re.exec(l);
      if (!m) { toks.push(["", l.slice(i)]); break; }
      var t = m[0], cls = "";
      if (m[1]) cls = "tk-c";
      else if (m[2]) { inComment = true; toks.push(["tk-c", "/*"]); i += 2; continue; }
      else if (m[3]) cls = "tk-s";
      else if (m[4]) {
        if (KW.has(t)) cls = "tk-kw"; else if (TY.has(t)) cls = "tk-ty"; else if (MC.has(t)) cls = "tk-mc";
        else if (/^\s*\(/.test(l.slice(i + t.length))) cls = "tk-fn";
      } else if (m[5]) cls = "tk-n";
      toks.push([cls, t]);
      i += t.length;
    }
    out.push(toks);
  }
  return out;
}
var tokCache = {};
function fileTokens(file) {
  if (!(file in tokCache)) tokCache[file] = (SRC[file] === null || SRC[file] === undefined) ? null : tokenize(SRC[file]);
  return tokCache[file];
}

var SLOT_RE = /^([A-Za-z_]\w*)\[(\d+)\](?:\.(.+))?$/;
function isGhost(slot) {
  return slot.split(".").some(function (p) { return p.split("[")[0].indexOf("ghost_") === 0; });
}

function Viewer(article, trace) {
  this.a = article; this.t = trace; this.k = 0; this.n = trace.steps.length;
  this.threadPos = {};
  var self = this;
  trace.threads.forEach(function (th, i) { self.threadPos[th] = i; });
  // states[k]: the state after step k (0: initial)
  var st = Object.assign({}, trace.initial);
  this.states = [Object.assign({}, st)];
  trace.steps.forEach(function (s) {
    for (var slot in s.changes) st[slot] = s.changes[slot][1];
    self.states.push(Object.assign({}, st));
  });
  // the step at which each non-initial slot (a local) first appears
  this.appears = {};
  trace.steps.forEach(function (s) {
    for (var slot in s.changes) if (!(slot in trace.initial) && !(slot in self.appears)) self.appears[slot] = s.index;
  });
  this.touched = new Set();
  trace.steps.forEach(function (s) {
    Object.keys(s.changes).forEach(function (x) { self.touched.add(x); });
    Object.keys(s.reads).forEach(function (x) { self.touched.add(x); });
  });
  this.focus = new Set(trace.focus || []);
  this.build();
}

Viewer.prototype.build = function () {
  var self = this, a = this.a, t = this.t;
  a.querySelector(".btn.first").addEventListener("click", function () { self.go(0); });
  a.querySelector(".btn.prev").addEventListener("click", function () { self.go(self.k - 1); });
  a.querySelector(".btn.next").addEventListener("click", function () { self.go(self.k + 1); });
  a.querySelector(".btn.last").addEventListener("click", function () { self.go(self.n); });
  this.scrub = a.querySelector(".scrub");
  this.scrub.addEventListener("input", function () { self.go(parseInt(self.scrub.value, 10), "replace"); });
  this.scrub.addEventListener("change", function () { setHash(self.t.id, self.k, false); });
  a.querySelector(".touched-only").addEventListener("change", function (ev) {
    a.querySelector(".state-tables").classList.toggle("touched-only", ev.target.checked);
    self.render();
  });
  // thread panels
  var panels = a.querySelector(".panels");
  this.panels = {};
  t.threads.forEach(function (th) {
    var p = el("div", "panel");
    p.setAttribute("data-thread", th);
    p.style.setProperty("--tc", t.colors[th]);
    var head = el("div", "panel-head");
    var chip = el("span", "chip", th);
    chip.style.background = t.colors[th];
    head.appendChild(chip);
    head.appendChild(el("span", "fn"));
    head.appendChild(el("span", "status"));
    head.appendChild(el("span", "loc"));
    p.appendChild(head);
    p.appendChild(el("div", "code"));
    panels.appendChild(p);
    self.panels[th] = p;
  });
  // state tables
  this.buildState();
  // graph nodes
  this.nodes = {};
  a.querySelectorAll(".ilgraph .node").forEach(function (g) {
    var k = parseInt(g.getAttribute("data-step"), 10);
    self.nodes[k] = g;
    g.addEventListener("click", function () { self.go(k); });
  });
};

Viewer.prototype.buildState = function () {
  var self = this, t = this.t, box = this.a.querySelector(".state-tables");
  this.cells = {};   // slot -> td
  this.rows = {};    // slot -> tr (for hiding)
  var scalars = [], matrices = {}, mOrder = [], locals = {}, other = [];
  Object.keys(t.initial).forEach(function (slot) {
    var m = SLOT_RE.exec(slot);
    if (m) {
      if (!(m[1] in matrices)) { matrices[m[1]] = {cols: [], rows: []}; mOrder.push(m[1]); }
      var mx = matrices[m[1]], f = m[3] === undefined ? "" : m[3];
      if (mx.cols.indexOf(m[2]) < 0) mx.cols.push(m[2]);
      if (mx.rows.indexOf(f) < 0) mx.rows.push(f);
    } else scalars.push(slot);
  });
  Object.keys(this.appears).sort(function (x, y) { return self.appears[x] - self.appears[y]; }).forEach(function (slot) {
    var th = slot.split(".")[0];
    if (th in self.threadPos) (locals[th] = locals[th] || []).push(slot); else other.push(slot);
  });
  function valueCell(slot) {
    var td = el("td", "val");
    td.setAttribute("data-slot", slot);
    td.appendChild(el("span", "v"));
    self.cells[slot] = td;
    return td;
  }
  function listTable(caption, slots, strip) {
    var tbl = el("table", "stbl"), body = el("tbody");
    tbl.appendChild(el("caption", "", caption));
    slots.forEach(function (slot) {
      var tr = el("tr");
      if (isGhost(slot)) tr.classList.add("ghost");
      if (self.focus.has(slot)) tr.classList.add("focus");
      var name = el("td", "name", strip ? slot.slice(strip.length) : slot);
      name.title = slot;
      tr.appendChild(name);
      tr.appendChild(valueCell(slot));
      self.rows[slot] = tr;
      body.appendChild(tr);
    });
    tbl.appendChild(body);
    return tbl;
  }
  if (scalars.length) box.appendChild(listTable("globals", scalars));
  mOrder.forEach(function (name) {
    var mx = matrices[name], tbl = el("table", "stbl matrix"), head = el("tr"), body = el("tbody");
    tbl.appendChild(el("caption", "", name + "[" + mx.cols.join(", ") + "]"));
    head.appendChild(el("th", "", ""));
    mx.cols.forEach(function (c) { head.appendChild(el("th", "", name + "[" + c + "]")); });
    var thead = el("thead"); thead.appendChild(head); tbl.appendChild(thead);
    mx.rows.forEach(function (f) {
      var tr = el("tr"), slots = [];
      var label = el("td", "name", f === "" ? "(value)" : "." + f);
      tr.appendChild(label);
      mx.cols.forEach(function (c) {
        var slot = name + "[" + c + "]" + (f === "" ? "" : "." + f);
        if (slot in t.initial) { tr.appendChild(valueCell(slot)); slots.push(slot); }
        else tr.appendChild(el("td", "", ""));
      });
      if (isGhost(f)) tr.classList.add("ghost");
      if (slots.some(function (s) { return self.focus.has(s); })) tr.classList.add("focus");
      tr._slots = slots;
      self.rows["row:" + name + "." + f] = tr;
      body.appendChild(tr);
    });
    tbl.appendChild(body);
    box.appendChild(tbl);
  });
  t.threads.forEach(function (th) {
    if (locals[th]) {
      var tbl = listTable("locals of " + th, locals[th], th + ".");
      tbl.classList.add("locals");
      tbl.setAttribute("data-thread", th);
      tbl.querySelector("caption").style.color = t.colors[th];
      box.appendChild(tbl);
    }
  });
  if (other.length) box.appendChild(listTable("other", other));
  this.stateBox = box;
};

// how: "push" (a new history entry, so that Back returns to the step before),
// "replace" (dragging the slider), or "none" (following the address)
Viewer.prototype.go = function (k, how) {
  k = Math.max(0, Math.min(this.n, k));
  if (k === this.k && this.rendered) return;
  this.k = k;
  this.render();
  if (how !== "none") setHash(this.t.id, k, how === "replace");
};

Viewer.prototype.render = function () {
  this.rendered = true;
  var k = this.k, t = this.t, a = this.a, step = k > 0 ? t.steps[k - 1] : null;
  a.setAttribute("data-k", String(k));
  a.querySelector(".stepno").textContent = k === 0 ? "initial state (0 / " + this.n + ")" : "step " + k + " / " + this.n;
  a.querySelector(".btn.first").disabled = a.querySelector(".btn.prev").disabled = k === 0;
  a.querySelector(".btn.next").disabled = a.querySelector(".btn.last").disabled = k === this.n;
  this.scrub.value = String(k);
  this.renderCard(step);
  this.renderPanels(step);
  this.renderState(step);
  this.renderGraph();
};

Viewer.prototype.renderCard = function (step) {
  var card = this.a.querySelector(".stepcard"), t = this.t;
  card.textContent = "";
  card.classList.toggle("error", !!(step && step.error));
  if (!step) {
    card.style.borderLeftColor = "";
    var l = el("div", "line1");
    l.appendChild(el("b", "", "Initial state"));
    l.appendChild(el("span", "muted", this.n ? "after init; press Next (→) to take step 1 of " + this.n + "."
                                             : "the property fails before any step."));
    card.appendChild(l);
    return;
  }
  card.style.borderLeftColor = step.error ? "" : t.colors[step.thread];
  var line1 = el("div", "line1");
  line1.appendChild(el("b", "", "Step " + step.index));
  var chip = el("span", "chip", step.thread);
  chip.style.background = t.colors[step.thread];
  line1.appendChild(chip);
  line1.appendChild(el("span", "where", step.file + ":" + step.line + (step.function ? "  in " + step.function + "()" : "")));
  card.appendChild(line1);
  card.appendChild(el("code", "c", step.code));
  var facts = el("div", "facts");
  function fact(cls, k, v) {
    var f = el("span", "fact " + cls);
    if (k) f.appendChild(el("span", "k", k));
    f.appendChild(document.createTextNode(v));
    facts.appendChild(f);
  }
  Object.keys(step.reads).forEach(function (s) { if (!(s in step.changes)) fact("rd", "read ", s + " = " + fmt(step.reads[s])); });
  Object.keys(step.changes).forEach(function (s) {
    var c = step.changes[s];
    fact("chg", "", s + ": " + fmt(c[0]) + " → " + fmt(c[1]));
  });
  if (!Object.keys(step.reads).length && !Object.keys(step.changes).length) fact("", "", "no visible change");
  step.messages.forEach(function (m) { fact("msg", "", m); });
  if (step.error) fact("err", "", "✗ " + step.error);
  card.appendChild(facts);
};

Viewer.prototype.renderPanels = function (step) {
  var self = this, t = this.t, k = this.k;
  t.threads.forEach(function (th) {
    var p = self.panels[th], cur = null, next = null;
    for (var i = 0; i < t.steps.length; i++) {
      var s = t.steps[i];
      if (s.thread !== th) continue;
      if (s.index <= k) cur = s; else { next = s; break; }
    }
    var show = cur || next, acting = !!(step && step.thread === th);
    p.classList.toggle("acting", acting);
    p.querySelector(".fn").textContent = show && show.function ? show.function + "()" : "";
    p.querySelector(".status").textContent = acting ? "acting: step " + k
      : cur ? "last step " + cur.index : "not started";
    p.querySelector(".loc").textContent = show ? base(show.file) + ":" + show.line : "";
    p.querySelector(".loc").title = show ? show.file : "";
    var code = p.querySelector(".code");
    code.textContent = "";
    if (!show) return;
    p.setAttribute("data-line", cur ? String(cur.line) : "");
    p.setAttribute("data-file", cur ? cur.file : "");
    var toks = fileTokens(show.file);
    var ran = new Set();
    if (acting) step.ops.forEach(function (o) { if (o[0] === step.file) ran.add(o[1]); });
    var lineClass = function (n) {
      if (n !== show.line) return ran.has(n) ? "ran" : "";
      if (!cur) return "upcoming";
      return (acting && step.error) ? "current error" : "current";
    };
    if (!toks) {
      var row = el("div", "src-line " + lineClass(show.line));
      row.setAttribute("data-line", String(show.line));
      row.appendChild(el("span", "ln", String(show.line)));
      row.appendChild(el("span", "txt", show.code));
      code.appendChild(row);
      code.appendChild(el("div", "nosrc", "source not available: " + show.file
        + (SRC_NOTES[show.file] ? " (not embedded: " + SRC_NOTES[show.file] + ")" : "")));
      return;
    }
    var lo = Math.max(1, show.line - WINDOW), hi = Math.min(toks.length, show.line + WINDOW);
    for (var n = lo; n <= hi; n++) {
      var r = el("div", "src-line " + lineClass(n));
      r.setAttribute("data-line", String(n));
      r.appendChild(el("span", "ln", String(n)));
      var txt = el("span", "txt");
      toks[n - 1].forEach(function (tk) { txt.appendChild(tk[0] ? el("span", tk[0], tk[1]) : document.createTextNode(tk[1])); });
      if (!toks[n - 1].length) txt.textContent = " ";
      r.appendChild(txt);
      code.appendChild(r);
    }
  });
};

Viewer.prototype.renderState = function (step) {
  var self = this, state = this.states[this.k], k = this.k;
  var onlyTouched = this.stateBox.classList.contains("touched-only");
  Object.keys(this.cells).forEach(function (slot) {
    var td = self.cells[slot];
    var changed = !!(step && slot in step.changes), read = !!(step && slot in step.reads && !changed);
    td.classList.toggle("changed", changed);
    td.classList.toggle("read", read);
    td.firstChild.textContent = fmt(state[slot]);
    var was = td.querySelector(".was");
    if (changed) {
      if (!was) { was = el("span", "was"); td.appendChild(was); }
      was.textContent = fmt(step.changes[slot][0]);
    } else if (was) td.removeChild(was);
    td.title = changed ? "changed by step " + k : read ? "read by step " + k : "";
    var tr = self.rows[slot];
    if (tr) {
      var hidden = (slot in self.appears && self.appears[slot] > k) || (onlyTouched && !self.touched.has(slot));
      tr.classList.toggle("hidden", hidden);
    }
  });
  Object.keys(this.rows).forEach(function (key) {
    if (key.indexOf("row:") !== 0) return;
    var tr = self.rows[key];
    tr.classList.toggle("hidden", onlyTouched && !tr._slots.some(function (s) { return self.touched.has(s); }));
  });
  // a locals table whose rows are all hidden disappears
  this.stateBox.querySelectorAll("table.locals").forEach(function (tbl) {
    tbl.classList.toggle("hidden", !tbl.querySelector("tbody tr:not(.hidden)"));
  });
};

Viewer.prototype.renderGraph = function () {
  var k = this.k, nodes = this.nodes;
  Object.keys(nodes).forEach(function (i) {
    var g = nodes[i], idx = parseInt(i, 10);
    g.classList.toggle("current", idx === k);
    g.classList.toggle("future", idx > k);
  });
  var g = nodes[k], box = this.a.querySelector(".graph-scroll");
  if (g && box && box.scrollHeight > box.clientHeight) {
    var r = g.getBoundingClientRect(), b = box.getBoundingClientRect();
    if (r.top < b.top || r.bottom > b.bottom) box.scrollTop += (r.top - b.top) - box.clientHeight / 2 + r.height / 2;
  }
};

function setHash(id, k, replace) {
  var h = "#" + id + "/" + k;  // never the bare id: that is an element's, and the browser would scroll to it
  if (location.hash === h) return;
  try { history[replace ? "replaceState" : "pushState"](null, "", h); } catch (e) { /* file: quirks */ }
}

var viewers = {}, active = null;
DATA.traces.forEach(function (t) {
  var a = document.getElementById(t.id);
  if (a) viewers[t.id] = new Viewer(a, t);
});

function show(id, k) {
  if (!(id in viewers)) id = Object.keys(viewers)[0];
  if (!id) return;
  Object.keys(viewers).forEach(function (v) { viewers[v].a.hidden = v !== id; });
  document.querySelectorAll(".cx-tab").forEach(function (tab) {
    tab.classList.toggle("active", tab.getAttribute("data-target") === id);
  });
  active = viewers[id];
  if (k !== undefined && !isNaN(k)) active.go(k, "none"); else if (!active.rendered) active.render();
}
function fromHash(scroll) {
  var h = decodeURIComponent(location.hash.slice(1)), parts = h.split("/");
  if (parts[0] in viewers) {
    show(parts[0], parts.length > 1 ? parseInt(parts[1], 10) : 0);
    if (scroll) document.getElementById("traces").scrollIntoView();
  } else show(null, 0);
}
document.querySelectorAll("a[data-target]").forEach(function (link) {
  link.addEventListener("click", function (ev) {
    ev.preventDefault();
    var id = link.getAttribute("data-target");
    show(id);
    setHash(id, viewers[id].k, false);
    if (link.classList.contains("cx-link")) document.getElementById("traces").scrollIntoView({behavior: "smooth"});
  });
});
// Back and Forward: the address holds the trace and the step
window.addEventListener("popstate", function () { fromHash(false); });
window.addEventListener("hashchange", function () { fromHash(!active || location.hash.split("/")[0] !== "#" + active.t.id); });
document.addEventListener("keydown", function (ev) {
  if (!active || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var tag = (ev.target && ev.target.tagName) || "";
  if (tag === "INPUT" && ev.target.type !== "range" && ev.target.type !== "checkbox" || tag === "TEXTAREA" || tag === "SELECT") return;
  var d = {ArrowRight: 1, j: 1, ArrowLeft: -1, k: -1}[ev.key];
  if (d) { active.go(active.k + d); ev.preventDefault(); }
  else if (ev.key === "Home") { active.go(0); ev.preventDefault(); }
  else if (ev.key === "End") { active.go(active.n); ev.preventDefault(); }
});
fromHash(/^#cx\d/.test(location.hash));
window.hugemcReport = {viewers: viewers, show: show};
})();
"""
