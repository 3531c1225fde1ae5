"""The ``hugemc`` command line.

Exit codes: 0 every scenario met its expectation; 1 some did not (a
regression); 2 the input is wrong (a diagnostic is printed, never a
traceback); 3 a search was cut short by a limit; 130 interrupted by Ctrl-C
(the reports asked for are still written, the interrupted search
``incomplete``).
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
import tomllib
from pathlib import Path

import click
from rich.console import Console
from rich.live import Live
from rich.text import Text

from .check import CheckOptions
from .diagnostics import HugemcError, SourceLoc, did_you_mean, fit_diagnostic, some_names
from .report import load_results, render_results, render_trace, write_json
from .report.export import FORMATS, ExportError, export, render_svg
from .report.text import print_wrapped, render_msc
from .result import ScenarioResult
from .scenario import LimitError, models_dir, parse_limit, properties_dir
from .wrap import wrap

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
CONFIG_NAMES = {"pyproject.toml", "hugemc.toml"}  # never scenarios


def result_code(r: ScenarioResult) -> int:
    """The exit code one scenario's result calls for."""
    if r.verdict == "error":
        return EXIT_INPUT
    if r.ok:
        return EXIT_OK
    cut_short = ("search cut short", "hash compaction", "time limit", "memory limit")
    if not r.stats.complete and all(p.startswith(cut_short) for p in r.problems):
        return EXIT_INCOMPLETE
    return EXIT_FAIL


def overall_code(results: list[ScenarioResult]) -> int:
    """Combine per-scenario codes: input errors, then regressions, then incompleteness."""
    codes = {result_code(r) for r in results}
    for c in (EXIT_INPUT, EXIT_FAIL, EXIT_INCOMPLETE):
        if c in codes:
            return c
    return EXIT_OK


class _Progress:
    """A live status line on a terminal for searches that run longer than a second."""

    def __init__(self, console: Console, name: str) -> None:
        self.console = console
        self.name = name
        self.live: Live | None = None

    def __call__(self, states: int, transitions: int, depth: int, seconds: float, queue: int | None = None,
                 detail: str | None = None) -> None:
        if seconds < 1.0:
            return
        from .explore.common import rss_bytes
        from .progress import fmt_bytes
        q = "" if queue is None else f", queue {queue:,}"
        text = Text(f"checking {self.name}: {states:,} states, {transitions:,} transitions, depth {depth}{q}, "
                    f"{seconds:.0f} s, {states / seconds:,.0f} states/s, {fmt_bytes(rss_bytes())}"
                    + (f"; {detail}" if detail else ""), style="cyan")
        if self.live is None:
            self.live = Live(text, console=self.console, transient=True, refresh_per_second=4)
            self.live.start()
        else:
            self.live.update(text)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()


def _stdout_gone() -> None:
    """Standard output's reader has gone (a closed pipe): send the rest of it nowhere, with no traceback."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _stdout_is_devnull() -> bool:
    import os
    try:
        a, b = os.fstat(sys.stdout.fileno()), os.stat(os.devnull)
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
    except (OSError, ValueError):
        return False


def expand_paths(paths: tuple[str, ...]) -> list[Path]:
    """Scenario files from the arguments (a folder means its *.toml files)."""
    out: list[Path] = []
    for p in paths:
        pp = Path(p)
        if pp.is_dir():
            found = sorted(x for x in pp.glob("*.toml")
                           if x.name not in CONFIG_NAMES and (x.is_symlink() or not x.is_dir()))
            if not found:
                raise HugemcError(f"no scenario (*.toml) in folder '{p}'", SourceLoc(p))
            out += found
        else:
            out.append(pp)
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hugemc")
def main() -> None:
    """hugemc: explore every interleaving of C-subset models of Linux mm concurrency."""


REPORT_FORMATS = ("text", "json", "junit", "sarif", "github", "html")


FILE_WIDTH = 100  # a text report written to a file
MIN_WIDTH = 40


def no_color(color: bool | None) -> bool:
    """Colours off: ``--no-color``, or NO_COLOR set (any value) unless ``--color`` forces them."""
    return color is False or (color is None and "NO_COLOR" in os.environ)


def text_width(width: int | None, stream) -> int | None:
    """The width of a text report: ``--width``; a terminal's own (None); a pipe: COLUMNS, else 80."""
    if width:
        return width
    try:
        if stream.isatty():
            return None
    except (AttributeError, ValueError):
        pass
    try:
        cols = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        cols = 0
    return max(cols, MIN_WIDTH) if cols > 0 else 80


def write_report(fmt: str, results: list[ScenarioResult], dest, *, width=None, color=None, verbose=False,
                 coverage=False, quiet=False, trusted=()) -> None:
    """Write ``results`` in ``fmt`` to ``dest`` (a path, or ``-``/None for standard output); an HTML
    report embeds source from the project, the library and the ``trusted`` (-I) folders only."""
    from .report.github import github_annotations
    from .report.junit import junit_xml
    from .report.sarif import sarif_json
    to_stdout = dest in (None, "-")
    if fmt == "html":
        from .report.html import write_html  # the self-contained report
        if to_stdout:
            sys.stdout.write(write_html(results, trusted=trusted))
        else:
            write_html(results, dest, trusted=trusted)
        return
    if fmt == "text":
        if to_stdout:
            plain = no_color(color)
            console = Console(no_color=plain, force_terminal=color or None, color_system=None if plain else "auto",
                              width=text_width(width, sys.stdout), highlight=False, soft_wrap=False)
            render_results(console, results, verbose, coverage, quiet)
        else:
            with open(dest, "w", encoding="utf-8") as fh:
                render_results(Console(file=fh, no_color=True, width=width or FILE_WIDTH), results, verbose,
                               coverage, quiet)
        return
    if fmt == "json":
        buf = io.StringIO()
        write_json(results, buf)
        text = buf.getvalue()
    elif fmt == "junit":
        text = junit_xml(results, coverage)
    elif fmt == "sarif":
        text = sarif_json(results, coverage)
    else:
        text = github_annotations(results, coverage)
    if to_stdout:
        sys.stdout.write(text)
    else:
        with open(dest, "w", encoding="utf-8") as fh:
            fh.write(text)


def _unwritable(dest: str | None) -> str | None:
    """Why a report cannot be written to ``dest`` (checked before the run), or None."""
    if not dest or dest == "-":
        return None
    p = Path(dest)
    if p.is_dir():
        return "is a folder; name a file"
    if not p.parent.is_dir():
        return f"the folder {p.parent} does not exist"
    return None


def print_diagnostic(console: Console, text: str) -> None:
    """Print a rendered diagnostic (or any message) with no line wider than the console."""
    console.print(fit_diagnostic(text, console.width), markup=False, highlight=False, soft_wrap=True)


def write_error(opt_name: str, dest: str | None, e: OSError) -> str:
    """The message for a report that could not be written: the option, the file and the system's reason."""
    reason = e.strerror or str(e) or type(e).__name__
    where = "standard output" if dest in (None, "-") else \
        f"{opt_name}{dest}" if opt_name.endswith("=") else f"{opt_name} {dest}"
    return f"error: cannot write {where}: {reason}\nhint: check the disk space and that the file is writable"


def _write_text(out: str, text: str, err: Console, opt_name: str = "--out") -> None:
    """Write ``text`` to file ``out``; an OS error is an input error (exit 2), never a traceback."""
    try:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:
        err.print(write_error(opt_name, out, e), markup=False)
        sys.exit(EXIT_INPUT)


def _parse_reports(specs) -> list[tuple[str, str]]:
    out = []
    for spec in specs:
        fmt, sep, dest = spec.partition("=")
        if not sep or fmt not in REPORT_FORMATS or not dest:
            raise click.BadParameter(f"'{spec}': write FORMAT=FILE with FORMAT one of "
                                     + ", ".join(REPORT_FORMATS) + " (FILE - is standard output)",
                                     param_hint="--report")
        out.append((fmt, dest))
    return out


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--strategy", type=click.Choice(["bfs", "dfs"]), help="Search order (default: the scenario's, else bfs).")
@click.option("--max-states", type=int, help="Stop after storing this many states (verdict: incomplete).")
@click.option("--max-depth", type=int, help="Do not explore beyond this many steps (verdict: incomplete).")
@click.option("--time-limit", type=float, help="Stop after this many seconds (verdict: incomplete).")
@click.option("--max-memory", help="Stop when the process uses more memory, e.g. 4G (verdict: incomplete).")
@click.option("--por/--no-por", default=None,
              help="Partial-order reduction (BFS and DFS): follow a set of threads whose steps provably commute "
                   "with everything the others can still do. Verdicts are kept; counterexamples may be longer.")
@click.option("--symmetry/--no-symmetry", default=None,
              help="Symmetry reduction: identical threads (count > 1) are interchangeable; traces stay concrete.")
@click.option("--store", type=click.Choice(["memory", "disk", "hash-compact"]), default=None,
              help="Where BFS keeps visited states: memory (default), disk (memory-mapped files, for models that "
                   "outgrow RAM) or hash-compact (64-bit hashes: may miss states, so never 'holds').")
@click.option("--workers", type=int, default=None,
              help="Cores for one BFS (default 1): threads of the compiled engine, else processes.")
@click.option("--engine", type=click.Choice(["auto", "compiled", "python", "ray"]), default=None,
              help="auto (default): BFS starts in Python while the compiled engine (generated C, cached) is "
                   "built, which then takes over; compiled: build it first; python: the reference engine "
                   "(DFS, reductions and other stores run on it); ray: the BFS over shards on a "
                   "Ray cluster (--workers shards; see docs/distributed.md).")
@click.option("--address", default=None, metavar="HOST:PORT",
              help="--engine ray: join this Ray cluster (default: $RAY_ADDRESS, else start a local one "
                   "with --workers CPUs).")
@click.option("--fewest-switches", is_flag=True,
              help="Counterexamples with the fewest context switches (then fewest steps), by a second search.")
@click.option("--include", "-I", "include", multiple=True, type=click.Path(file_okay=False, exists=True),
              help="Extra folder to search for models, properties and headers.")
@click.option("--jobs", "-j", type=int, default=None,
              help="Check this many scenarios at once (default: the number of cores).")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text", show_default=True,
              help="The main report's format.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the main report to this file (default: stdout).")
@click.option("--report", "reports", multiple=True, metavar="FORMAT=FILE",
              help="Also write a report in FORMAT (text, json, junit, sarif, github, html) to FILE; repeatable.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the JSON result here.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False),
              help="Also write a self-contained HTML report here (step through every counterexample).")
@click.option("--coverage", is_flag=True, help="Report the model lines each thread never executed (warnings).")
@click.option("--coverage-fatal", is_flag=True, help="Never-executed model lines make a scenario fail.")
@click.option("--baseline", type=click.Path(dir_okay=False),
              help="Compare with an earlier JSON result: new or vanished violations, state counts, lost lines.")
@click.option("--baseline-threshold", type=float, default=2.0, show_default=True,
              help="State counts changing by more than this factor are reported.")
@click.option("--allow-incomplete", is_flag=True, help="A search cut short by a limit does not fail the run.")
@click.option("--color/--no-color", default=None, help="Force colours on or off.")
@click.option("--width", type=click.IntRange(min=MIN_WIDTH),
              help="Fixed console width, at least 40 (default: the terminal's; a pipe: COLUMNS, else 80; "
                   "--out: 100).")
@click.option("-v", "--verbose", is_flag=True,
              help="Print every scenario in full: every counterexample, warning trace and witness.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the scenarios that failed and the summary.")
def check(paths, strategy, max_states, max_depth, time_limit, max_memory, por, symmetry, store, workers,
          engine, address, include, jobs, fmt, out, reports,
          json_out, html_out, coverage, coverage_fatal, baseline, baseline_threshold, allow_incomplete,
          color, width, verbose, quiet, fewest_switches=False) -> None:
    """Check scenarios (files or folders of *.toml; none: the configured suite)."""
    err_console = Console(stderr=True, no_color=no_color(color), highlight=False, width=width)
    mem = None
    for name, val in (("max_states", max_states), ("max_depth", max_depth), ("time_limit", time_limit),
                      ("max_memory", max_memory)):
        if val is not None:
            try:  # the rules of [check] and of a suite's [defaults]
                v = parse_limit(name, val)
            except LimitError as e:
                option = "--" + name.replace("_", "-")
                err_console.print(f"error: bad {option}: {e.reason}\nhint: {e.hint}", markup=False)
                sys.exit(EXIT_INPUT)
            if name == "max_memory":
                mem = v
    for name, val in (("--jobs", jobs), ("--baseline-threshold", baseline_threshold), ("--workers", workers)):
        if val is not None and (not math.isfinite(val) or val <= 0):
            err_console.print(f"error: {name} must be a positive, finite number (got {val})")
            sys.exit(EXIT_INPUT)
    if baseline_threshold is not None and baseline_threshold < 1:
        err_console.print(f"error: --baseline-threshold must be a factor of at least 1 (got {baseline_threshold})\n"
                          "hint: 2 (the default) fails the gate when a scenario's states double or halve",
                          markup=False)
        sys.exit(EXIT_INPUT)
    extra = _parse_reports(reports)
    for opt_name, dest in [("--out", out), ("--json", json_out), ("--html", html_out)] + \
            [("--report", d) for _, d in extra]:
        problem = _unwritable(dest)
        if problem:
            err_console.print(f"error: {opt_name} {dest}: {problem}", markup=False)
            sys.exit(EXIT_INPUT)
    opt = CheckOptions(strategy, max_states, max_depth, time_limit, mem, tuple(Path(i) for i in include),
                       coverage_fatal, por=por, symmetry=symmetry, store=store, workers=workers,
                       fewest_switches=fewest_switches, engine=engine, address=address)
    old = None
    if baseline:
        try:
            old = load_results(baseline)
        except ValueError as e:
            err_console.print(f"error: --baseline: {e}", markup=False)
            sys.exit(EXIT_INPUT)
    try:
        if paths:
            work = [(f, opt) for f in expand_paths(paths)]
        else:
            from .suite import load_suite
            work = [(e.path, e.options) for e in load_suite(Path.cwd(), opt)]
    except HugemcError as e:
        print_diagnostic(err_console, e.render())
        sys.exit(EXIT_INPUT)
    from .progress import LineProgress, install_interrupt_handler, interrupted, restore_interrupt_handler
    from .progress import interval as progress_interval
    from .runner import check_many, default_jobs
    progress_console = Console(stderr=True)
    if progress_console.is_terminal:  # a live line (one scenario at a time), else one line every 10 s
        progress_for = lambda f: _Progress(progress_console, f.stem)  # noqa: E731
    else:
        pwidth = text_width(width, sys.stderr) or 80
        progress_for = lambda f: LineProgress(f.stem, width=pwidth)  # noqa: E731
    previous_sigint = install_interrupt_handler()
    try:
        # --engine ray: one scenario at a time, the cluster is the parallelism (one connection per process)
        njobs = 1 if engine == "ray" else (jobs or default_jobs())
        results = check_many(work, njobs, progress_for, progress_interval())
    except KeyboardInterrupt:  # a second Ctrl-C: quit at once
        sys.exit(EXIT_INTERRUPTED)
    except MemoryError:  # each scenario's own is caught where it ran; this is the last resort, never a traceback
        results = None
    if results is None:
        err_console.print("error: out of memory while checking the scenarios\nhint: give --max-memory to stop "
                          "a run that grows too large as incomplete, or check fewer scenarios at once (--jobs)")
        sys.exit(EXIT_INCOMPLETE if mem is not None else EXIT_INPUT)
    findings, base_doc = [], None
    if old is not None:
        from .baseline import compare, findings_json
        findings = compare(old, results, baseline_threshold)
        base_doc = findings_json(findings, baseline_threshold)
    outputs = [(fmt, out, "--out")] + [(f, d, f"--report {f}=") for f, d in extra] + \
        ([("json", json_out, "--json")] if json_out else []) + ([("html", html_out, "--html")] if html_out else [])
    write_failed = False
    for rfmt, dest, opt_name in outputs:
        try:
            if rfmt == "json":
                if dest in (None, "-"):
                    write_json(results, sys.stdout, base_doc)
                else:
                    with open(dest, "w", encoding="utf-8") as fh:
                        write_json(results, fh, base_doc)
            else:
                write_report(rfmt, results, dest, width=width, color=color, verbose=verbose, coverage=coverage,
                             quiet=quiet, trusted=include)
            if dest in (None, "-"):
                sys.stdout.flush()
        except BrokenPipeError:  # `hugemc check ... | head`: stop writing there, quietly; still write the files
            _stdout_gone()
        except SystemExit:  # rich's Console exits on a closed pipe, once it has sent stdout to /dev/null
            if not _stdout_is_devnull():
                raise
        except KeyboardInterrupt:
            sys.exit(EXIT_INTERRUPTED)
        except OSError as e:  # a full disk, /dev/full, a read-only file: say so, write the other reports
            err_console.print(write_error(opt_name if dest not in (None, "-") else "standard output", dest, e),
                              markup=False)
            write_failed = True
    restore_interrupt_handler(previous_sigint)
    if interrupted():
        sys.exit(EXIT_INTERRUPTED)
    code = overall_code(results)
    if allow_incomplete and code == EXIT_INCOMPLETE:
        code = EXIT_OK
    if write_failed:
        code = EXIT_INPUT
    if old is not None:
        from .baseline import format_findings
        for line in format_findings(findings):
            print_diagnostic(err_console, line)
        if any(f.fatal for f in findings) and code in (EXIT_OK, EXIT_INCOMPLETE):
            code = EXIT_FAIL
    sys.exit(code)


@main.command()
@click.argument("result", type=click.Path(dir_okay=False))
@click.option("--scenario", help="Scenario name (default: the first with a violation).")
@click.option("--violation", help="Violated property (default: the first); a reached REACHABLE property's name "
              "shows its witness.")
@click.option("--witness", help="Show the witness of this reached REACHABLE property.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS) + ["html"]), default="text", show_default=True,
              help="text: a column per thread; table: one row per step; dot, graphml, json: a graph; "
                   "mermaid: a sequence diagram for GitHub Markdown.")
@click.option("--graph", "which", type=click.Choice(["interleaving", "path"]), default="interleaving",
              show_default=True, help="Which graph dot, graphml and json export.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write here (a .svg name with --format dot renders it with Graphviz).")
@click.option("--color/--no-color", default=None)
@click.option("--width", type=click.IntRange(min=MIN_WIDTH), help="Fixed width for text, at least 40 (stable CI logs).")
def trace(result, scenario, violation, witness, fmt, which, out, color, width) -> None:
    """Render a counterexample stored in a JSON result (text, graphs, Mermaid, HTML)."""
    err = Console(stderr=True, highlight=False)
    if _unwritable(out):
        err.print(f"error: --out {out}: {_unwritable(out)}", markup=False)
        sys.exit(EXIT_INPUT)
    try:
        results = load_results(result)
    except ValueError as e:
        err.print(f"error: {e}", markup=False)
        sys.exit(EXIT_INPUT)
    cands = [r for r in results if scenario is None or r.name == scenario]
    if scenario is not None and not cands:
        err.print(f"error: no scenario '{scenario}' in {result}; it has: "
                  + ", ".join(r.name for r in results), markup=False)
        sys.exit(EXIT_INPUT)
    found = _find_trace(cands, violation, witness)
    if found is None:
        names = [f"{r.name}:{v.property}" for r in cands for v in r.violations]
        reached = [f"{r.name}:{p.name}" for r in cands for p in r.properties if p.witness is not None]
        what = "witness" if witness else "violation"
        asked = f" '{violation}'" if violation else ""

        near = did_you_mean(violation, [n.split(":", 1)[1] for n in names + reached]) if violation else None
        err.print(f"error: no {what}{asked} in {result}", markup=False)
        err.print("hint: " + (near + "; " if near else "")
                  + (f"violations: {some_names(names, 8)}" if names else "it records no violation")
                  + (f"; witnesses (--witness): {some_names(reached, 8)}" if reached else ""), markup=False)
        sys.exit(EXIT_INPUT)
    r, v = found
    if v not in r.violations:  # a witness: the reports below render the scenario's violations
        from dataclasses import replace as _replace
        r = _replace(r, violations=[v])
    if fmt in ("text", "table"):  # control characters in the file are shown as escapes
        from .report.visible import visible_copy
        r, v = visible_copy(r), visible_copy(v)
    if fmt in ("text", "table"):
        buf = io.StringIO() if out else None
        plain = no_color(color) or buf is not None
        console = Console(file=buf, no_color=plain, color_system=None if plain else "auto",
                          width=width or (FILE_WIDTH if buf else text_width(None, sys.stdout)), highlight=False)
        print_wrapped(console, f"{r.name}: {v.property} ({v.kind}): {v.message}", 0, hang=4)
        (render_trace if fmt == "table" else render_msc)(console, v.trace)
        if buf is not None:
            _write_text(out, buf.getvalue(), err)
        return
    if fmt == "html":
        from .report.html import report_data, write_html  # the self-contained report
        text = write_html([r], only=(r.name, v.property))
        for f, why in report_data([r]).get("source_notes", {}).items():
            err.print(f"note: the source of {f} is not embedded: {why}", markup=False, highlight=False)
    else:
        text = export(r, v, fmt, which)
        if fmt == "dot" and out and out.endswith(".svg"):
            try:
                text = render_svg(text)
            except ExportError as e:
                err.print(f"error: {e}", markup=False)
                sys.exit(EXIT_INPUT)
    if out:
        _write_text(out, text, err)
    else:
        sys.stdout.write(text)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["dot", "graphml", "json"]), default="dot", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here (a .svg name renders DOT with Graphviz).")
@click.option("--max-states", type=int, default=2000, show_default=True,
              help="Refuse models with more reachable states than this.")
@click.option("--include", "-I", "include", multiple=True, type=click.Path(file_okay=False, exists=True))
def graph(scenario, fmt, out, max_states, include) -> None:
    """Export the whole reachable state graph of a small scenario (violating states marked)."""
    from .backend import compile_program
    from .explore.stategraph import TooBig, state_graph
    from .lang import build_program
    from .report.graphs import graphml_ready, to_json
    from .scenario import load_scenario
    import io
    import networkx as nx
    err = Console(stderr=True, highlight=False)
    if _unwritable(out):
        err.print(f"error: --out {out}: {_unwritable(out)}", markup=False)
        sys.exit(EXIT_INPUT)
    try:
        program = build_program(load_scenario(scenario, [Path(i) for i in include]))
        g = state_graph(compile_program(program), max_states)
    except HugemcError as e:
        print_diagnostic(err, e.render())
        sys.exit(EXIT_INPUT)
    except TooBig:
        err.print(f"error: {scenario} has more than {max_states} reachable states; a graph that large is "
                  "unreadable\nhint: shrink the scenario (fewer threads or pages), or raise --max-states",
                  markup=False)
        sys.exit(EXIT_INPUT)
    if fmt == "dot":
        lines = ["digraph states {", '  node [shape=box, fontname="monospace", fontsize=9];',
                 '  edge [fontname="monospace", fontsize=8];']
        for n, d in g.nodes(data=True):
            style = ", color=red, penwidth=2" if d["violating"] else (", peripheries=2" if d["final"] else "")
            label = d["label"] + (f"\n✗ {d['violates']}" if d["violates"] and not str(n).startswith("error") else "")
            lines.append(f'  "{n}" [label="{_dot_escape(label)}"{style}];')
        for a, b, d in g.edges(data=True):
            lines.append(f'  "{a}" -> "{b}" [label="{_dot_escape(d["label"])}"];')
        text = "\n".join(lines + ["}"]) + "\n"
        if out and out.endswith(".svg"):
            try:
                text = render_svg(text)
            except ExportError as e:
                err.print(f"error: {e}", markup=False)
                sys.exit(EXIT_INPUT)
    elif fmt == "json":
        text = to_json(g)
    else:
        buf = io.BytesIO()
        nx.write_graphml(graphml_ready(g), buf)
        text = buf.getvalue().decode("utf-8")
    if out:
        _write_text(out, text, err)
        err.print(f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges written to {out}", markup=False)
    else:
        sys.stdout.write(text)


def _find_trace(results: list[ScenarioResult], violation: str | None, witness: str | None):
    """``(scenario, violation)`` to render: a violation, or a reached property's witness as one."""
    from .result import Violation
    if witness is None:
        hit = next(((r, v) for r in results for v in r.violations if violation is None or v.property == violation),
                   None)
        if hit is not None or violation is None:
            return hit
    name = witness or violation
    for r in results:
        for p in r.properties:
            if p.name == name and p.witness is not None:
                return r, Violation(p.name, p.kind, f"{p.kind} property '{p.name}' reached (witness)", p.witness,
                                    p.file, p.line)
    return None


def _dot_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


_PROP = re.compile(r"^\s*(INVARIANT|REACHABLE|FINAL)\s*\(\s*(\w+)\s*\)")


def _describe(lines: list[str], i: int) -> str:
    out = []
    j = i - 1
    while j >= 0 and lines[j].strip().startswith(("*", "/*", "//")) or (j >= 0 and lines[j].strip().endswith("*/")):
        out.append(lines[j].strip().strip("/*").strip())
        j -= 1
    return " ".join(x for x in reversed(out) if x)


@main.command(name="list")
@click.argument("what", type=click.Choice(["models", "functions", "tracepoints", "properties", "scenarios",
                                          "all"]), default="all")
@click.argument("name", required=False)
@click.option("--dir", "folder", default="examples", show_default=True, help="Folder of scenarios to list.")
def list_cmd(what, name, folder) -> None:
    """List the shipped models, library functions, tracepoints, properties, and scenarios.

    `hugemc list functions [NAME]` prints every library function (or those whose
    name contains NAME) with its file:line, the defines that select its
    variants and the tracepoints it passes; `hugemc list tracepoints` prints
    each tracepoint with the functions that pass it. NAME filters every list
    the same way (a tracepoint also matches by a function that passes it).
    """
    console = Console(highlight=False)

    def wanted(*texts: str) -> bool:
        return name is None or any(name in t for t in texts)

    if what == "functions":
        _list_functions(console, name)
        return
    if what == "tracepoints":
        from .library import tracepoints
        console.print("[bold]tracepoints[/bold] (read in a property with TRACED(name))")
        for tp, funcs in sorted(tracepoints().items()):
            if not wanted(tp, *funcs):
                continue
            console.print(f"  {tp}", markup=False)
            console.print(f"      passed by {', '.join(funcs)}", markup=False)
        return
    if what in ("models", "all"):
        console.print("[bold]models[/bold] (" + str(models_dir()) + ")")
        for p in sorted(models_dir().rglob("*")):
            if p.suffix in (".c", ".h") and wanted(str(p.relative_to(models_dir()))):
                console.print(f"  {p.relative_to(models_dir())}")
    if what in ("properties", "all"):
        console.print("[bold]properties[/bold] (" + str(properties_dir()) + ")")
        for p in sorted(properties_dir().rglob("*.c")):
            lines = p.read_text(encoding="utf-8").splitlines()
            for i, line in enumerate(lines):
                m = _PROP.match(line)
                if m and wanted(m.group(2)):
                    console.print(f"  {m.group(2):32} {m.group(1).lower():10} {p.relative_to(properties_dir())}",
                                  markup=False)
                    about = _describe(lines, i)
                    if about:  # (indented under its name, at the console's width)
                        console.print("\n".join(wrap(about, console.width - 1, indent="      ")), markup=False)
    if what in ("scenarios", "all"):
        d = Path(folder)
        console.print(f"[bold]scenarios[/bold] ({d})")
        if not d.is_dir():
            console.print(f"  (no folder {d}: give one with --dir)", markup=False)
        for p in sorted(d.glob("*.toml")) if d.is_dir() else []:
            if p.name in CONFIG_NAMES or not p.is_file() or not wanted(p.name):
                continue  # (a suite's configuration is not a scenario)
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                console.print(f"  {p.name}  (unreadable)")
                continue
            exp = data.get("expect", "holds")
            exp = exp if isinstance(exp, str) else ", ".join(map(str, exp))
            console.print(f"  {p.name:40} expect: {exp}", markup=False)


def _list_functions(console: Console, name: str | None) -> None:
    """``hugemc list functions``: one short block per library function (fits 80 columns)."""
    from .library import library_functions
    funcs = [f for f in library_functions() if name is None or name in f.name]
    if name is not None and not funcs:
        console.print(f"no library function matches '{name}'", markup=False)
        sys.exit(EXIT_INPUT)
    import textwrap
    width = max(console.width, 40)

    def block(text: str) -> None:
        for line in textwrap.wrap(text, width - 1, initial_indent="      ", subsequent_indent="        "):
            console.print(line, markup=False, highlight=False)
    console.print("[bold]library functions[/bold] (models/)")
    for f in funcs:
        console.print(f"  {f.name}  [dim]{f.file}:{f.line}[/dim]", highlight=False)
        if f.summary:
            block(f.summary)
        if f.defines:
            block(f"variants: {', '.join(f.defines)}")
        if f.tracepoints:
            block(f"tracepoints: {', '.join(f.tracepoints)}")


if __name__ == "__main__":  # pragma: no cover
    main()
