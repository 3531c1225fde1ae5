"""The suite: which scenarios `hugemc check` runs with no argument, and with what settings.

Read from ``hugemc.toml`` (top level) or ``[tool.hugemc]`` in
``pyproject.toml``, in the current directory::

    scenarios = ["examples/*.toml"]          # globs, relative to the file's folder

    [defaults]                               # for scenarios that do not say
    max_states = 5_000_000
    time_limit = 600
    strategy = "bfs"

    [overrides."examples/big-*.toml"]        # forced on the scenarios a glob matches
    max_states = 50_000_000
    coverage_fatal = true

Command-line options beat overrides, overrides beat the scenario's own
``[check]`` table, which beats the defaults. See docs/scenarios.md#suites.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from pathlib import Path

from .check import ENGINES, STORES, CheckOptions
from .diagnostics import HugemcError, SourceLoc, did_you_mean
from .scenario import LIMIT_KEYS, NEVER_READ, LimitError, find_key, parse_limit, parse_toml

CONFIG_NAMES = ("hugemc.toml", "pyproject.toml")
SUITE_KEYS = {"scenarios", "defaults", "overrides"}
OPTION_KEYS = {"strategy", "max_states", "max_depth", "time_limit", "max_memory", "coverage_fatal", "por",
               "symmetry", "store", "workers", "engine"}


@dataclass(frozen=True)
class SuiteEntry:
    """One scenario of the suite and the options it runs with."""

    path: Path
    options: CheckOptions


def find_config(cwd: Path) -> tuple[Path, dict, str] | None:
    """(config file, suite table, its text) from ``hugemc.toml`` or ``[tool.hugemc]``, or None."""
    for name in CONFIG_NAMES:
        cfg = cwd / name
        if not cfg.is_file():
            continue
        try:
            text = cfg.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise HugemcError(f"{cfg.name} is not UTF-8 text", SourceLoc(str(cfg)),
                              hint="TOML files are UTF-8: re-save the file as UTF-8") from None
        data = parse_toml(text, cfg, "see docs/scenarios.md (suites) for the format")
        table = data if name == "hugemc.toml" else data.get("tool", {}).get("hugemc")
        if table:
            return cfg, table, text
    return None


def _options(cfg: Path, text: str, table: dict, what: str) -> dict:
    if not isinstance(table, dict):
        raise HugemcError(f"{what} must be a table", SourceLoc(str(cfg), *find_key(text, what.split(".")[0])))
    out = {}
    for k, v in table.items():
        if k not in OPTION_KEYS:
            raise HugemcError(f"unknown key '{k}' in {what}", SourceLoc(str(cfg), *find_key(text, k)),
                              hint=did_you_mean(k, OPTION_KEYS) or "keys: " + ", ".join(sorted(OPTION_KEYS)))
        try:
            if k == "strategy":
                if v not in ("bfs", "dfs"):
                    raise ValueError
            elif k in ("coverage_fatal", "por", "symmetry"):
                if not isinstance(v, bool):
                    raise ValueError
            elif k == "store":
                if v not in STORES:
                    raise ValueError
            elif k == "engine":
                if v not in ENGINES:
                    raise ValueError
            elif k in LIMIT_KEYS:  # the rules of --max-memory and of a scenario's [check]
                try:
                    v = parse_limit(k, v)
                except LimitError as e:
                    raise HugemcError(f"bad value for '{k}' in {what}: {e.reason}",
                                      SourceLoc(str(cfg), *find_key(text, k)), hint=e.hint) from None
            elif isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError
        except (ValueError, TypeError):
            raise HugemcError(f"bad value for '{k}' in {what}", SourceLoc(str(cfg), *find_key(text, k)),
                              hint="strategy: bfs or dfs; max_states, max_depth, workers: positive integers; "
                                   "time_limit: seconds; max_memory: like \"4G\"; coverage_fatal, por, symmetry: "
                                   "true/false; store: memory, disk or hash-compact; engine: auto, compiled, python or ray") \
                from None
        out[k] = v
    return out


def load_suite(cwd: Path, cli: CheckOptions) -> list[SuiteEntry]:
    """The scenarios of the configured suite, each with its options (HugemcError if none/bad)."""
    found = find_config(cwd)
    if found is None:
        raise HugemcError("no scenario given and no suite configured",
                          hint='give scenario files or folders, or add scenarios = ["examples/*.toml"] '
                               "under [tool.hugemc] in pyproject.toml or in hugemc.toml")
    cfg, table, text = found
    for k in table:
        if k not in SUITE_KEYS:
            raise HugemcError(f"unknown suite key '{k}'", SourceLoc(str(cfg), *find_key(text, k)),
                              hint=did_you_mean(k, SUITE_KEYS) or "keys: scenarios, defaults, overrides")
    globs = table.get("scenarios")
    if not isinstance(globs, list) or not globs or not all(isinstance(g, str) for g in globs):
        raise HugemcError("'scenarios' must be a non-empty list of glob patterns",
                          SourceLoc(str(cfg), *find_key(text, "scenarios")), hint='scenarios = ["examples/*.toml"]')
    defaults = _options(cfg, text, table.get("defaults", {}), "defaults")
    overrides = table.get("overrides", {})
    if not isinstance(overrides, dict):
        raise HugemcError("'overrides' must be a table of tables", SourceLoc(str(cfg), *find_key(text, "overrides")))
    over = [(pat, _options(cfg, text, t, f"overrides.{pat}")) for pat, t in overrides.items()]
    base = cfg.parent
    paths: list[Path] = []
    for g in globs:
        for p in suite_glob(cfg, text, g):
            if p.name not in CONFIG_NAMES and p not in paths:
                paths.append(p)
    if not paths:
        raise HugemcError("the configured suite matches no scenario file", SourceLoc(str(cfg)),
                          hint="check the scenarios globs: " + ", ".join(globs))
    entries = []
    for p in paths:
        rel = p.relative_to(base).as_posix()
        forced: dict = {}
        for pat, opts in over:
            if fnmatch.fnmatch(rel, pat):
                forced.update(opts)
        entries.append(SuiteEntry(p, merge_options(cli, forced, defaults)))
    return entries


PATTERN_HINT = ('suite patterns are globs relative to the folder of the configuration file and stay inside '
                'it: no absolute path, no "..", no symbolic link to a file outside; '
                'write scenarios = ["examples/*.toml"]')


def find_text(text: str, needle: str) -> tuple[int, int]:
    """(line, column) of the first occurrence of ``needle`` in ``text``; (0, 0) if absent."""
    for i, line in enumerate(text.splitlines(), 1):
        k = line.find(needle)
        if k >= 0:
            return i, k + 1
    return 0, 0


def suite_glob(cfg: Path, text: str, pattern: str) -> list[Path]:
    """The scenario files a suite pattern matches, sorted; folders are skipped.

    Suites come from pull requests in CI: a pattern must be relative and stay
    inside the configuration file's folder. An absolute pattern, a ``..``
    part, or a match that is a symbolic link resolving outside that folder
    (or under /proc, /sys, /dev) is a :class:`HugemcError` at the pattern.
    """
    base = cfg.parent
    line, col = 0, 0
    for needle in (f'"{pattern}"', f"'{pattern}'", pattern):
        line, col = find_text(text, needle) if pattern else (0, 0)
        if line:
            break
    loc = SourceLoc(str(cfg), line, col) if line else SourceLoc(str(cfg), *find_key(text, "scenarios"))
    shown = pattern[:200]
    if not pattern.strip():
        raise HugemcError("empty suite pattern", loc, hint=PATTERN_HINT)
    if "\0" in pattern:
        raise HugemcError("suite pattern holds a NUL character", loc, hint=PATTERN_HINT)
    if Path(pattern).is_absolute() or pattern.startswith("~"):
        raise HugemcError(f"suite pattern '{shown}' is an absolute path", loc, hint=PATTERN_HINT)
    if ".." in pattern.replace("\\", "/").split("/"):
        raise HugemcError(f"suite pattern '{shown}' leaves the folder of {cfg.name} (\"..\")", loc, hint=PATTERN_HINT)
    try:
        root = base.resolve()
        found = sorted(base.glob(pattern))
    except (ValueError, NotImplementedError, OSError) as e:
        raise HugemcError(f"bad suite pattern '{shown}': {e}", loc, hint=PATTERN_HINT) from None
    out = []
    for p in found:
        try:
            rp = p.resolve()
            is_file = p.is_file()
        except (OSError, RuntimeError):
            is_file, rp = False, None
        if rp is None or any(rp == n or rp.is_relative_to(n) for n in NEVER_READ) or not rp.is_relative_to(root):
            rel = p.relative_to(base).as_posix() if p.is_relative_to(base) else str(p)
            raise HugemcError(f"suite pattern '{shown}' matches '{rel[:200]}', a symbolic link leading outside "
                              f"the folder of {cfg.name}", loc, hint=PATTERN_HINT)
        if is_file:
            out.append(p)
    return out


def merge_options(cli: CheckOptions, forced: dict, defaults: dict) -> CheckOptions:
    """Command line over ``forced`` (overrides) over the scenario (left to check) over ``defaults``."""
    o = cli
    for k, v in forced.items():
        if k == "coverage_fatal":
            o = replace(o, coverage_fatal=o.coverage_fatal or v)
        elif getattr(o, k) is None:
            o = replace(o, **{k: v})
    suite_defaults = {k: v for k, v in defaults.items() if k != "coverage_fatal"}
    o = replace(o, suite_defaults=tuple(sorted(suite_defaults.items())))
    if defaults.get("coverage_fatal"):
        o = replace(o, coverage_fatal=True)
    return o
