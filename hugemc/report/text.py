"""The terminal report: one line per scenario, counterexamples for failures, a summary.

Quiet on success, loud on failure: a scenario that met its expectation gets
one line (``✓ name  verdict  states  time``); one that did not gets its
problems, counterexamples and properties, and the run ends with a ``FAILED``
line per failing scenario and a count. ``verbose`` prints every scenario in
full (every counterexample and witness); ``quiet`` prints only failures and
the summary.

No line is wider than the console: below :data:`TABLE_WIDTH` columns a trace
is a block per step (the step, its thread and location; the code; then one
change per line) wrapped at spaces; at that width or more it is a table.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..diagnostics import display_path, fit_diagnostic
from ..wrap import wrap
from ..result import ScenarioResult, Trace, TraceStep
from .visible import visible_results

TABLE_WIDTH = 120  # narrower consoles get the block layout


def fmt_value(v) -> str:
    """A trace value: None (uninitialised) prints as '-'."""
    return "-" if v is None else str(v)


def fmt_changes(changes: dict) -> str:
    """``slot: before→after`` pairs, comma separated."""
    return ", ".join(f"{k}: {fmt_value(a)}→{fmt_value(b)}" for k, (a, b) in changes.items())


def _where(s: TraceStep) -> str:
    return f"{display_path(s.file)}:{s.line}"


def _site(s: TraceStep) -> str:
    """``in ATOMIC { at file:line`` when the step began on another line than the one shown."""
    if not s.site:
        return ""
    code = s.site.get("code", "").strip()
    return f"in {code} at {display_path(s.site.get('file', ''))}:{s.site.get('line', 0)}" if code else \
        f"from {display_path(s.site.get('file', ''))}:{s.site.get('line', 0)}"


def _step_items(s: TraceStep) -> list[tuple[str, str]]:
    """What a step did, one item each: (text, style)."""
    items = [(f"read {k}={fmt_value(v)}", "") for k, v in s.reads.items() if k not in s.changes]
    items += [(f"{k}: {fmt_value(a)}→{fmt_value(b)}", "") for k, (a, b) in s.changes.items()]
    items += [(m, "yellow") for m in s.messages]
    if s.error:
        items.append(("✗ " + s.error, "bold red"))
    return items


def print_wrapped(console: Console, text: str, indent: int = 0, style: str = "", hang: int = 2) -> None:
    """Print ``text`` wrapped at spaces to the console's width; a word longer than a line is broken
    after ``|``, ``→``, ``,``, ``;`` or ``/`` (see :func:`hugemc.wrap.wrap`), cut only if it has none."""
    lead = " " * indent
    for line in wrap(text, max(console.width, 20), lead, " " * hang):
        console.print(Text(line, style=style), soft_wrap=True)


def render_steps(console: Console, trace: Trace, indent: int = 2) -> None:
    """A trace as one block per step: ``#n thread  file:line function()``, the code, then each change."""
    for s in trace.steps:
        dim = not getattr(s, "relevant", True)  # the violation does not depend on this step: dimmed
        head = f"#{s.index} {s.thread}  {_where(s)}" + (f" {s.function}()" if s.function else "")
        print_wrapped(console, head, indent, "dim" if dim else "bold", hang=4)
        if s.code:
            print_wrapped(console, s.code.strip(), indent + 4, "dim" if dim else "", hang=4)
        site = _site(s)
        if site:
            print_wrapped(console, site, indent + 4, "dim", hang=4)
        for text, style in _step_items(s):
            print_wrapped(console, text, indent + 6, "dim" if dim else (style or "cyan"), hang=4)


def render_trace(console: Console, trace: Trace, title: str = "") -> None:
    """Print a trace: a table (one row per step) on wide consoles, blocks of lines on narrow ones."""
    if console.width < TABLE_WIDTH:
        if title:
            print_wrapped(console, title, 0, "bold")
        render_steps(console, trace)
        return
    table = Table(title=escape(title) if title else None, title_justify="left", show_lines=False, expand=False,
                  header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("thread", no_wrap=True)
    table.add_column("location", no_wrap=True)
    table.add_column("code", overflow="fold")
    table.add_column("changes", overflow="fold")
    for s in trace.steps:
        plain = [t for t, st in _step_items(s) if not st]
        changes = Text(", ".join(plain))
        for t, st in _step_items(s):
            if st:
                changes.append(("\n" if changes.plain else "") + t, style=st)
        where = _where(s) + (f"\n{s.function}()" if s.function else "")
        code = Text(s.code)
        site = _site(s)
        if site:
            code.append("\n" + site, style="dim")
        table.add_row(str(s.index), Text(s.thread), Text(where), code, changes,
                      style="dim" if not getattr(s, "relevant", True) else None)
    console.print(table)


def _step_text(s) -> Text:
    """The cell of a step in the message-sequence chart."""
    t = Text()
    t.append(f"{display_path(s.file).split('/')[-1]}:{s.line}", style="dim")
    if s.function:
        t.append(f" {s.function}()", style="dim")
    t.append("\n" + s.code)
    parts = [f"read {k}={fmt_value(v)}" for k, v in s.reads.items() if k not in s.changes]
    if s.changes:
        parts.append(fmt_changes(s.changes))
    if parts:
        t.append("\n" + ", ".join(parts), style="cyan")
    for m in s.messages:
        t.append("\n" + m, style="yellow")
    if s.error:
        t.append("\n✗ " + s.error, style="bold red")
    return t


def render_msc(console: Console, trace: Trace, title: str = "") -> None:
    """Print a trace as a message-sequence chart: one column per thread, one row per step.

    Only the slots a step changed (and the shared slots it read) are shown,
    with ``pr_*`` messages inline. Below :data:`TABLE_WIDTH` columns the
    chart would not fit: the steps are printed as blocks instead.
    """
    if console.width < TABLE_WIDTH:
        render_trace(console, trace, title)
        return
    threads: list[str] = []
    for s in trace.steps:
        if s.thread not in threads:
            threads.append(s.thread)
    table = Table(title=escape(title) if title else None, title_justify="left", show_lines=True,
                  header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    for t in threads:
        table.add_column(t, overflow="fold", ratio=1)
    for s in trace.steps:
        row = [Text(str(s.index))] + [Text("│", style="dim") for _ in threads]
        row[1 + threads.index(s.thread)] = _step_text(s)
        table.add_row(*row)
    console.print(table)


def _verdict_style(r: ScenarioResult) -> str:
    if r.verdict == "error":
        return "bold red"
    if r.ok:
        return "bold green"
    if r.verdict == "incomplete":
        return "bold yellow"
    return "bold red"


def fmt_bytes(n: int) -> str:
    """Human-readable byte count."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def render_unreached(console: Console, r: ScenarioResult) -> None:
    """One coverage line: the share of model lines that ran, and where code never ran."""
    from .coverage import coverage_summary
    unreached = r.coverage_detail.get("unreached", {}) if r.coverage_detail else {}
    print_wrapped(console, coverage_summary(r), 2, "yellow" if unreached else "dim", hang=4)


def _verdict_options(r: ScenarioResult) -> list[str]:
    """The verdict in words, longest first: ``violated a, b``, ``violated a +1``, ``violated (2)``."""
    if r.verdict != "violated":
        return [r.verdict]
    names = list(dict.fromkeys(v.property for v in r.violations))
    if not names:
        return ["violated"]
    out = ["violated " + ", ".join(names)]
    if len(names) > 1:
        out.append(f"violated {names[0]} +{len(names) - 1}")
    out.append(f"violated ({len(names)})")
    return out


def summary_line(r: ScenarioResult, width: int = 10**6) -> Text:
    """``✓ name  verdict  1,234 states  0.12 s``: a scenario in one line (of at most ``width`` if it can)."""
    mark = "✓" if r.ok else "✗"
    t = Text()
    for verdict in _verdict_options(r):
        t = Text(f"{mark} {r.name}", style=_verdict_style(r))
        if r.verdict == "error":
            t.append("  input error")
            return t
        t.append(f"  {verdict}  {r.stats.states:,} states  {r.stats.seconds:.2f} s")
        if r.warnings:
            t.append(f"  {len(r.warnings)} warning(s)", style="yellow")
        if not r.stats.complete:
            t.append(f"  (cut short: {r.stats.limit})", style="yellow")
        if t.cell_len <= width:
            break
    return t


def _print_line(console: Console, text: Text) -> None:
    """A one-line summary, wrapped at spaces if the console is narrower."""
    if text.cell_len <= console.width:
        console.print(text, soft_wrap=True)
    else:
        print_wrapped(console, text.plain, 0, str(text.style or ""), hang=4)


def _render_properties(console: Console, r: ScenarioResult) -> None:
    colors = {"holds": "green", "reached": "green", "violated": "red", "unreached": "red"}
    if console.width < TABLE_WIDTH:
        console.print(Text("  properties:", style="bold"))
        for p in r.properties:
            line = Text(f"    {p.status:9} ", style=colors.get(p.status, "yellow"))
            line.append(f"{p.name} ({p.kind})")
            _print_line(console, line)
        return
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    t.add_column("  property")
    t.add_column("kind")
    t.add_column("status")
    t.add_column("description", overflow="fold")
    for p in r.properties:
        t.add_row(Text(f"  {p.name}"), p.kind, Text(p.status, style=colors.get(p.status, "yellow")),
                  Text(p.description))
    console.print(t)


def render_detail(console: Console, r: ScenarioResult, verbose: bool = False, coverage: bool = False) -> None:
    """A scenario in full: verdict, problems, counterexamples, warnings, properties, statistics."""
    head = Text(f"{'✓' if r.ok else '✗'} {r.name}", style=_verdict_style(r))
    head.append(f"  {display_path(r.file)}", style="dim")
    _print_line(console, head)
    if r.verdict == "error":
        console.print(Text(fit_diagnostic((r.error or "error").rstrip("\n"), console.width), style="red"),
                      soft_wrap=True)
        console.print()
        return
    exp = r.expected if isinstance(r.expected, str) or r.expected is None else ", ".join(r.expected)
    print_wrapped(console, f"verdict: {r.verdict}   expected: {exp}", 2)
    for p in r.problems:
        print_wrapped(console, f"problem: {p}", 2, "red", hang=4)
    if verbose:
        for f in r.replaced:
            print_wrapped(console, f"replaces library function {f['function']} ({display_path(f['library_file'])}:"
                          f"{f['library_line']}) with {display_path(f['file'])}:{f['line']}", 2, "dim", hang=4)
    for v in r.violations:
        print_wrapped(console, f"{v.property} ({v.kind}): {v.message} — counterexample, "
                      f"{len(v.trace.steps)} step(s), {v.trace.switches} switch(es)", 2, "bold red", hang=4)
        render_trace(console, v.trace)
        if v.final_state:
            print_wrapped(console, f"final state that violates {v.property}:", 2, "bold")
            print_wrapped(console, ", ".join(f"{k}={fmt_value(x)}" for k, x in v.final_state.items()), 4, hang=2)
    for w in r.warnings:
        print_wrapped(console, f"warning: {w.message} at {display_path(w.file)}:{w.line}"
                      f" (first reached after {len(w.trace.steps)} step(s))", 2, "yellow", hang=4)
        if verbose:
            render_trace(console, w.trace)
    if r.properties:
        _render_properties(console, r)
        if verbose:
            for p in r.properties:
                if p.witness is not None:
                    render_trace(console, p.witness, title=f"  {p.name} reached by:")
    if coverage:
        render_unreached(console, r)
    s = r.stats
    limit = f", cut short by {s.limit}" if s.limit and s.limit != "hash_compact" else ""
    extra = "".join([f", {s.workers} workers" if s.workers > 1 else "",
                     f", {s.store} store" if s.store != "memory" else "",
                     ", python engine" if s.engine == "python" else ""])
    print_wrapped(console, f"{s.states:,} states, {s.transitions:,} transitions, depth {s.depth}, "
                  f"{s.seconds:.2f} s, {s.states_per_second:,.0f} states/s, "
                  f"peak RSS {fmt_bytes(s.peak_rss_bytes)}, {s.strategy}{extra}{limit}", 2, "dim", hang=2)
    if s.reduction:
        print_wrapped(console, f"reduction: {s.reduction}", 2, "dim", hang=2)
    if verbose and s.engine_note:
        print_wrapped(console, f"engine: {s.engine_note}", 2, "dim", hang=2)
    console.print()


def failure_reason(r: ScenarioResult) -> str:
    """Why a scenario failed its expectation, in one phrase."""
    if r.verdict == "error":
        first = (r.error or "input error").strip().splitlines()
        return first[0] if first else "input error"
    return "; ".join(r.problems) or f"verdict {r.verdict}, expected {r.expected}"


def render_results(console: Console, results: list[ScenarioResult], verbose: bool = False,
                   coverage: bool = False, quiet: bool = False) -> None:
    """Print the report for a run: a line per scenario (every detail of failures), then the summary.

    Control characters in names, source lines and messages are printed as escapes (``\\x1b``)."""
    results = visible_results(results)
    for r in results:
        if verbose or not r.ok:
            render_detail(console, r, verbose, coverage)
        elif not quiet:
            _print_line(console, summary_line(r, console.width))
            if coverage:  # one coverage summary per scenario
                render_unreached(console, r)
    ok = sum(1 for r in results if r.ok)
    bad = len(results) - ok
    if bad:
        console.print()
        for r in results:
            if not r.ok:
                print_wrapped(console, f"FAILED {r.name}: {failure_reason(r)}", 0, "red", hang=4)
    style = "bold green" if bad == 0 else "bold red"
    noun = "scenario" if len(results) == 1 else "scenarios"
    _print_line(console, Text(f"{len(results)} {noun}: {ok} met their expectation, {bad} did not", style=style))
