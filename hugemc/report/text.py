"""The terminal report: verdicts, counterexamples as step tables, statistics."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..diagnostics import display_path
from ..result import ScenarioResult, Trace


def fmt_value(v) -> str:
    """A trace value: None (uninitialised) prints as '-'."""
    return "-" if v is None else str(v)


def fmt_changes(changes: dict) -> str:
    """``slot: before→after`` pairs, comma separated."""
    return ", ".join(f"{k}: {fmt_value(a)}→{fmt_value(b)}" for k, (a, b) in changes.items())


def render_trace(console: Console, trace: Trace, title: str = "") -> None:
    """Print a trace as a table, one row per step."""
    table = Table(title=escape(title) if title else None, title_justify="left", show_lines=False, expand=False,
                  header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("thread", no_wrap=True)
    table.add_column("location", no_wrap=True)
    table.add_column("code", overflow="fold")
    table.add_column("changes", overflow="fold")
    for s in trace.steps:
        parts = [f"read {k}={fmt_value(v)}" for k, v in s.reads.items() if k not in s.changes]
        if s.changes:
            parts.append(fmt_changes(s.changes))
        changes = Text(", ".join(parts))
        for m in s.messages:
            changes.append(("\n" if changes.plain else "") + m, style="yellow")
        if s.error:
            changes.append(("\n" if changes.plain else "") + "✗ " + s.error, style="bold red")
        where = f"{display_path(s.file)}:{s.line}" + (f"\n{s.function}()" if s.function else "")
        table.add_row(str(s.index), Text(s.thread), Text(where), Text(s.code), changes)
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
    with ``pr_*`` messages inline.
    """
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
    console.print(Text(f"  {coverage_summary(r)}", style="yellow" if unreached else "dim"), soft_wrap=True)


def render_results(console: Console, results: list[ScenarioResult], verbose: bool = False,
                   coverage: bool = False) -> None:
    """Print the full report for a run."""
    for r in results:
        mark = "✓" if r.ok else "✗"
        exp = r.expected if isinstance(r.expected, str) or r.expected is None else ", ".join(r.expected)
        head = Text(f"{mark} {r.name}", style=_verdict_style(r))
        head.append(f"  {r.file}", style="dim")
        console.print(head)
        if r.verdict == "error":
            console.print(Text(r.error or "error", style="red"), soft_wrap=True)
            console.print()
            continue
        console.print(f"  verdict: [bold]{r.verdict}[/bold]   expected: {escape(str(exp))}")
        for p in r.problems:
            console.print(f"  [red]problem:[/red] {escape(p)}")
        if verbose:
            for f in r.replaced:
                console.print(Text(f"  replaces library function {f['function']} ({f['library_file']}:"
                                   f"{f['library_line']}) with {f['file']}:{f['line']}", style="dim"))
        for v in r.violations:
            console.print(f"  [bold red]{escape(v.property)}[/bold red] ({v.kind}): {escape(v.message)}"
                          f" — counterexample, {len(v.trace.steps)} step(s)")
            render_trace(console, v.trace)
        for w in r.warnings:
            console.print(f"  [yellow]warning[/yellow]: {escape(w.message)} at {escape(display_path(w.file))}:{w.line}"
                          f" (first reached after {len(w.trace.steps)} step(s))")
            if verbose:
                render_trace(console, w.trace)
        if r.properties:
            t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            t.add_column("  property")
            t.add_column("kind")
            t.add_column("status")
            t.add_column("description", overflow="fold")
            for p in r.properties:
                style = {"holds": "green", "reached": "green", "violated": "red", "unreached": "red"}.get(
                    p.status, "yellow")
                t.add_row(Text(f"  {p.name}"), p.kind, Text(p.status, style=style), Text(p.description))
            console.print(t)
            if verbose:
                for p in r.properties:
                    if p.witness is not None:
                        render_trace(console, p.witness, title=f"  {p.name} reached by:")
        if coverage:
            render_unreached(console, r)
        s = r.stats
        limit = f", cut short by {s.limit}" if s.limit and s.limit != "hash_compact" else ""
        extra = "".join([f", {s.workers} workers" if s.workers > 1 else "",
                         f", {s.store} store" if s.store != "memory" else ""])
        console.print(f"  [dim]{s.states:,} states, {s.transitions:,} transitions, depth {s.depth}, "
                      f"{s.seconds:.2f} s, {s.states_per_second:,.0f} states/s, "
                      f"peak RSS {fmt_bytes(s.peak_rss_bytes)}, {s.strategy}{extra}{limit}[/dim]",
                      markup=True)
        if s.reduction:
            console.print(Text(f"  reduction: {s.reduction}", style="dim"))
        console.print()
    ok = sum(1 for r in results if r.ok)
    bad = len(results) - ok
    style = "bold green" if bad == 0 else "bold red"
    console.print(Text(f"{len(results)} scenario(s): {ok} met their expectation, {bad} did not", style=style))
