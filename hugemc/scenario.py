"""Scenarios: the TOML file that says what to check.

A scenario names the model and property files, the threads and their entry
calls, defines, domains, bounds and the expected outcome. It is data: nothing
in it is executed as Python. See docs/scenarios.md for the format.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import HugemcError, SourceLoc, did_you_mean

TOP_KEYS = {
    "name", "description", "models", "property_files", "properties", "expect", "init",
    "include", "fatal_warnings", "defines", "threads", "domains", "check",
}
CHECK_KEYS = {"strategy", "max_states", "max_depth", "time_limit", "max_memory"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ThreadSpec:
    """One thread (or ``count`` identical threads) and its entry call."""

    name: str
    call: str
    count: int
    line: int
    col: int


@dataclass(frozen=True)
class Bounds:
    """Search limits; reaching one makes the verdict ``incomplete``."""

    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    max_memory: int | None = None


@dataclass(frozen=True)
class Scenario:
    """A parsed, validated scenario file."""

    path: Path
    name: str
    description: str
    models: tuple[Path, ...]
    property_files: tuple[Path, ...]
    properties: tuple[str, ...] | None
    expect_holds: bool
    expect_violated: tuple[str, ...]
    threads: tuple[ThreadSpec, ...]
    defines: dict
    domains: dict
    include_dirs: tuple[Path, ...]
    init: str | None
    init_line: int
    fatal_warnings: bool
    strategy: str
    bounds: Bounds
    text: str = field(repr=False, default="")
    strategy_given: bool = False  # the scenario's [check] names a strategy
    allowed_roots: tuple[Path, ...] = ()  # folders models, properties and includes may come from

    def key_loc(self, key: str) -> SourceLoc:
        """Location of ``key = ...`` in the scenario file (for messages)."""
        return SourceLoc(str(self.path), *find_key(self.text, key))

    def item_loc(self, key: str, item: str) -> SourceLoc:
        """Location of the string ``item`` in the value of ``key`` (a list may span lines); else the key's."""
        loc = self.key_loc(key)
        rows = self.text.splitlines()
        for i in range(max(loc.line, 1) - 1, min(len(rows), max(loc.line, 1) + 50)):
            for q in ('"', "'"):
                j = rows[i].find(q + item + q, loc.col if i == loc.line - 1 else 0)
                if j >= 0:
                    return SourceLoc(str(self.path), i + 1, j + 2)
        return loc


def library_root() -> Path:
    """Folder holding the shipped ``models/`` and ``properties/``.

    From a checkout (or an editable install) that is the repository; from a
    wheel the library is installed as the packages ``hugemc.models`` and
    ``hugemc.properties``.
    """
    here = Path(__file__).resolve().parent
    repo = here.parent
    if (repo / "models").is_dir() and (repo / "properties").is_dir():
        return repo
    return here


def models_dir() -> Path:
    """The shipped model library."""
    return library_root() / "models"


def properties_dir() -> Path:
    """The shipped property library."""
    return library_root() / "properties"


def prelude_dir() -> Path:
    """Folder of ``hugemc.h``."""
    return Path(__file__).resolve().parent / "include"


def find_key(text: str, key: str) -> tuple[int, int]:
    """(line, column) of the first ``key =`` (or ``[key]`` table) in TOML text; (0, 0) if absent."""
    pat = re.compile(r'^\s*(?:"?' + re.escape(key) + r'"?\s*=|\[\s*' + re.escape(key) + r'\s*\])')
    for i, line in enumerate(text.splitlines(), 1):
        m = pat.match(line)
        if m:
            return i, len(line) - len(line.lstrip()) + 1
    return 0, 0


def _err(path, text, key, msg, hint=None):
    line, col = find_key(text, key) if key else (0, 0)
    return HugemcError(msg, SourceLoc(str(path), line, col), hint=hint)


def parse_toml(text: str, path: Path, hint: str) -> dict:
    """The table of TOML ``text`` (from ``path``); malformed TOML, or nesting too deep for the parser, is a
    located :class:`HugemcError`. A leading byte-order mark is ignored."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise HugemcError(f"malformed TOML: {msg}", SourceLoc(str(path), line, col), hint=hint) from None
    except RecursionError:
        depth, line, col = 0, 1, 1
        for i, row in enumerate(text.splitlines(), 1):  # where the nesting gets deep
            for j, c in enumerate(row, 1):
                depth += c in "[{"
                depth -= c in "]}"
                if depth > 100:
                    line, col = i, j
                    break
            else:
                continue
            break
        raise HugemcError("malformed TOML: arrays or tables nested too deep", SourceLoc(str(path), line, col),
                          hint="a scenario nests a few levels at most; " + hint) from None


def parse_size(v) -> int:
    """'2G', '512M', '100k' or a number of bytes (never a boolean); ValueError if it is none of these."""
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int):
        return v
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*", str(v))
    if not m:
        raise ValueError(v)
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


LIMIT_KEYS = ("max_states", "max_depth", "time_limit", "max_memory")
MIN_MEMORY = 1 << 20  # a memory limit below this cannot be meant: the checker itself needs tens of MiB


class LimitError(ValueError):
    """A limit's value that cannot be meant: ``reason`` says why, ``hint`` what to write instead."""

    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def parse_limit(name: str, value) -> int | float:
    """The value of the limit ``name`` (one of :data:`LIMIT_KEYS`), checked by the same rules
    wherever it is given: the command line, a scenario's ``[check]``, a suite's ``[defaults]``.

    ``max_states`` and ``max_depth``: positive integers; ``time_limit``: a
    positive, finite number of seconds; ``max_memory``: a size such as
    ``"4G"``, ``"512M"`` or a whole number of bytes, at least 1 MiB. Booleans,
    empty strings, zero, negative and fractional byte counts are refused with
    :class:`LimitError`.
    """
    shown = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
    if name in ("max_states", "max_depth"):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise LimitError(f"{name} must be a positive integer, not {shown}",
                             "give a positive whole number, such as 1000000")
        return value
    if name == "time_limit":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value <= 0:
            raise LimitError(f"time_limit must be a positive, finite number of seconds, not {shown}",
                             "give seconds, such as 60 or 0.5")
        return float(value)
    if name == "max_memory":
        hint = 'give a size such as "4G" or "512M" (binary units; a bare integer counts bytes)'
        if isinstance(value, float):
            raise LimitError(f"max_memory must be a size, not the number {shown}",
                             hint + "; a fraction of a unit is written as a string: \"1.5G\"")
        try:
            size = parse_size(value)
        except ValueError:
            raise LimitError(f"max_memory must be a size, not {shown}", hint) from None
        if size < MIN_MEMORY:
            what = f"{size:,} byte{'s' if size != 1 else ''}"
            raise LimitError(f"a memory limit of {what if isinstance(value, int) else f'{shown} ({what})'} "
                             "cannot be meant: the checker alone needs tens of MiB", hint)
        return size
    raise AssertionError(name)


NEVER_READ = (Path("/proc"), Path("/sys"), Path("/dev"))
MAX_THREADS = 64  # more threads than this cannot be meant for an exhaustive search


def _one_line_code(path, text, key, code: str, what: str) -> None:
    """A thread's call or init is one C call ``name(args)`` on one line: no newline, no directive, and
    nothing that would end the call's statement or the function it is compiled into."""
    hint = "write it as \"entry(args)\"; put more code in a model function and call that"
    if "\n" in code or "\r" in code or "#" in code or len(code) > 2000:
        raise _err(path, text, key, f"{what} must be one C call on one line", hint=hint)
    why = call_shape_error(code)
    if why:
        raise _err(path, text, key, f"{what} must be one C call such as \"entry(args)\": {why}", hint=hint)


def call_shape_error(code: str) -> str | None:
    """Why ``code`` is not one call ``name(args)`` (None: it is): the arguments' brackets must balance
    and close at the end, with no ``;``, braces, comment or string in them."""
    m = re.match(r"\s*[A-Za-z_]\w*\s*\(", code)
    if not m:
        return "it does not start with a function name and '('"
    for bad, why in ((";", "a ';'"), ("{", "a '{'"), ("}", "a '}'"), ("/*", "a comment"), ("//", "a comment"),
                     ('"', "a string"), ("'", "a character constant")):
        if bad in code:
            return f"it holds {why}"
    pairs = {"(": ")", "[": "]"}
    stack: list[str] = []
    end = len(code.rstrip())
    for i in range(m.end() - 1, end):
        c = code[i]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]":
            if not stack or stack.pop() != c:
                return f"an unmatched '{c}'"
            if not stack and i != end - 1:
                return "text after the call's closing ')'"
    if stack:
        return "its '(' is not closed"
    return None


def project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding pyproject.toml, hugemc.toml or .git."""
    try:
        d = start.resolve()
    except OSError:
        return None
    for c in [d, *d.parents]:
        if any((c / n).exists() for n in ("pyproject.toml", "hugemc.toml", ".git")):
            return c
    return None


def allowed_roots(scenario_dir: Path, trusted: list[Path]) -> tuple[Path, ...]:
    """Where a scenario may read C files from: its folder, its project, the library, -I folders.

    Models come from pull requests in CI: a scenario never reads (or echoes in a
    diagnostic) a file outside these folders, and never one under /proc, /sys or /dev.
    """
    roots = [scenario_dir, models_dir(), properties_dir(), prelude_dir(), *trusted]
    for start in (scenario_dir, Path.cwd()):
        r = project_root(start)
        if r is not None and r != Path("/"):
            roots.append(r)
    out: list[Path] = []
    for r in roots:
        try:
            rr = r.resolve()
        except OSError:
            continue
        if rr not in out:
            out.append(rr)
    return tuple(out)


def path_allowed(p: Path | str, roots) -> bool:
    """Whether file ``p`` (symbolic links resolved) lies inside one of ``roots`` and outside /proc, /sys, /dev."""
    try:
        rp = Path(p).resolve()
    except (OSError, ValueError, RuntimeError):
        return False
    if any(rp == n or rp.is_relative_to(n) for n in NEVER_READ):
        return False
    return any(rp.is_relative_to(r) for r in roots)


def refused_hint(what: str) -> str:
    """How to allow a file outside the allowed folders."""
    return (f"{what} are read only from the scenario's folder, its project (the folder of pyproject.toml, "
            "hugemc.toml or .git), the shipped library and folders named with -I/--include; "
            "/proc, /sys and /dev never")


def resolve_file(name: str, base: Path, search: list[Path], what: str, path: Path, text: str, key: str,
                 roots: tuple[Path, ...] = ()) -> Path:
    """Find a model or property file: the scenario's folder, then the search path (inside ``roots``)."""
    if len(name) > 1024 or "\0" in name:
        raise _err(path, text, key, f"{what} file name is too long or not a path", hint="name a .c file")
    for d in [base] + search:
        try:
            p = (d / name)
            found = p.is_file()
        except (OSError, ValueError):
            found = False
        if found:
            if roots and not path_allowed(p, roots):
                raise _err(path, text, key, f"{what} file '{name}' is outside the allowed folders",
                           hint=refused_hint("model and property files"))
            return p
    raise _err(path, text, key, f"{what} file '{name}' not found",
               hint="searched: " + ", ".join(str(d) for d in [base] + search))


def load_scenario(path: str | Path, extra_include: list[Path] | None = None) -> Scenario:
    """Read and validate a scenario file (raises HugemcError on any mistake)."""
    path = Path(path)
    if path.is_symlink() or any(Path(path).absolute().is_relative_to(n) for n in NEVER_READ):
        if not path_allowed(path, allowed_roots(path.parent, [Path(p) for p in (extra_include or [])])):
            raise HugemcError(f"scenario file '{path}' is a symbolic link leading outside the allowed folders"
                              if path.is_symlink() else f"scenario file '{path}' is under /proc, /sys or /dev",
                              SourceLoc(str(path)), hint=refused_hint("scenario files")) from None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HugemcError(f"scenario file '{path}' not found", SourceLoc(str(path)),
                          hint="give a .toml scenario or a folder of them") from None
    except UnicodeDecodeError as e:
        raw = path.read_bytes()
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise HugemcError(f"scenario is not UTF-8 text (byte 0x{raw[e.start]:02x})", SourceLoc(str(path), line, col),
                          hint="TOML files are UTF-8: re-save the file as UTF-8") from None
    except OSError as e:
        raise HugemcError(f"cannot read scenario '{path}': {e.strerror}", SourceLoc(str(path))) from None
    data = parse_toml(text, path, "see docs/scenarios.md for the scenario format")
    for k in data:
        if k not in TOP_KEYS:
            raise _err(path, text, k, f"unknown scenario key '{k}'",
                       hint=did_you_mean(k, TOP_KEYS) or "keys: " + ", ".join(sorted(TOP_KEYS)))
    base = path.parent
    extra = [Path(p) for p in (extra_include or [])]
    inc = data.get("include", [])
    if not isinstance(inc, list) or not all(isinstance(x, str) for x in inc):
        raise _err(path, text, "include", "'include' must be a list of folders")
    include_dirs = tuple([(base / x) for x in inc] + extra)
    roots = allowed_roots(base, extra)
    for x in inc:
        if len(x) > 1024 or not path_allowed(base / x, roots):
            raise _err(path, text, "include", f"include folder '{x[:200]}' is outside the allowed folders",
                       hint=refused_hint("include folders"))

    def strlist(key, required=False):
        v = data.get(key)
        if v is None:
            if required:
                raise HugemcError(f"scenario has no '{key}'", SourceLoc(str(path), 1, 1),
                                  hint=f'add {key} = ["..."]')
            return []
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _err(path, text, key, f"'{key}' must be a list of strings")
        return v

    search_models = list(include_dirs) + [models_dir()]
    search_props = list(include_dirs) + [properties_dir(), models_dir()]
    models = tuple(resolve_file(m, base, search_models, "model", path, text, "models", roots)
                   for m in strlist("models", required=True))
    pfiles = tuple(resolve_file(m, base, search_props, "property", path, text, "property_files", roots)
                   for m in strlist("property_files"))
    props = data.get("properties")
    if props is not None:
        props = tuple(strlist("properties"))

    expect = data.get("expect", "holds")
    if expect == "holds":
        holds, violated = True, ()
    elif isinstance(expect, list) and all(isinstance(x, str) for x in expect) and expect:
        holds, violated = False, tuple(expect)
    elif isinstance(expect, str):
        holds, violated = False, (expect,)
    else:
        raise _err(path, text, "expect", "'expect' must be \"holds\" or a list of property names")

    threads_t = data.get("threads")
    if not isinstance(threads_t, dict) or not threads_t:
        raise _err(path, text, "threads", "scenario has no [threads] table" if threads_t is None
                   else "[threads] must map thread names to entry calls",
                   hint='add\n  [threads]\n  alloc = "my_entry()"')
    threads = []
    for tname, spec in threads_t.items():
        line, col = find_key(text, tname)
        if not _NAME.match(tname):
            raise _err(path, text, tname, f"thread name '{tname}' is not an identifier")
        if isinstance(spec, str):
            call, count = spec, 1
        elif isinstance(spec, dict):
            bad = set(spec) - {"call", "count"}
            if bad:
                raise _err(path, text, tname, f"unknown thread key '{sorted(bad)[0]}'", hint="use call and count")
            call, count = spec.get("call"), spec.get("count", 1)
            if not isinstance(call, str):
                raise _err(path, text, tname, f"thread '{tname}' needs call = \"entry()\"")
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise _err(path, text, tname, f"thread '{tname}': count must be a positive integer")
        else:
            raise _err(path, text, tname, f"thread '{tname}' must be \"entry()\" or {{ call = ..., count = N }}")
        _one_line_code(path, text, tname, call, f"thread '{tname}'")
        if count > MAX_THREADS:
            raise _err(path, text, tname, f"thread '{tname}': count = {count} threads cannot be meant",
                       hint=f"at most {MAX_THREADS} threads: explicit-state search grows exponentially with them")
        raw = text.splitlines()[line - 1] if line else ""
        ccol = raw.find(call) + 1 if call in raw else col
        threads.append(ThreadSpec(tname, call, count, line, ccol))
    if sum(t.count for t in threads) > MAX_THREADS:
        raise _err(path, text, "threads", f"{sum(t.count for t in threads)} threads cannot be meant",
                   hint=f"at most {MAX_THREADS} threads: explicit-state search grows exponentially with them")

    defines = data.get("defines", {})
    if not isinstance(defines, dict):
        raise _err(path, text, "defines", "[defines] must be a table")
    for k, v in defines.items():
        if not _NAME.match(k) or not isinstance(v, (int, bool, str)):
            raise _err(path, text, k, f"define '{k}' must be an identifier set to an integer, boolean or string")
        if isinstance(v, str) and ("\n" in v or "\r" in v):
            raise _err(path, text, k, f"define '{k}' must be one line of C",
                       hint="a define is a macro's replacement text: no newline (and no directive) in it")

    domains = data.get("domains", {})
    if not isinstance(domains, dict):
        raise _err(path, text, "domains", "[domains] must be a table")
    for k, v in domains.items():
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v) and v[0] <= v[1]):
            raise _err(path, text, k, f"domain '{k}' must be [lo, hi] with lo <= hi")

    init = data.get("init")
    if init is not None and not isinstance(init, str):
        raise _err(path, text, "init", "'init' must be a call such as \"setup()\"")
    if init is not None:
        _one_line_code(path, text, "init", init, "'init'")
    fatal = data.get("fatal_warnings", False)
    if not isinstance(fatal, bool):
        raise _err(path, text, "fatal_warnings", "'fatal_warnings' must be true or false")

    check = data.get("check", {})
    if not isinstance(check, dict):
        raise _err(path, text, "check", "[check] must be a table")
    for k in check:
        if k not in CHECK_KEYS:
            raise _err(path, text, k, f"unknown [check] key '{k}'", hint=did_you_mean(k, CHECK_KEYS))
    strategy = check.get("strategy", "bfs")
    if strategy not in ("bfs", "dfs"):
        raise _err(path, text, "strategy", f"unknown strategy '{strategy}'", hint="bfs or dfs")
    limits = {}
    for k in LIMIT_KEYS:
        if k in check:
            try:
                limits[k] = parse_limit(k, check[k])
            except LimitError as e:
                raise _err(path, text, k, f"bad value in [check]: {e.reason}", hint=e.hint) from None
    bounds = Bounds(**limits)

    name = data.get("name", path.stem)
    if not isinstance(name, str):
        raise _err(path, text, "name", "'name' must be a string")
    return Scenario(
        path=path, name=name, description=str(data.get("description", "")), models=models,
        property_files=pfiles, properties=props, expect_holds=holds, expect_violated=violated,
        threads=tuple(threads), defines=dict(defines), domains=dict(domains), include_dirs=include_dirs,
        allowed_roots=roots,
        init=init, init_line=find_key(text, "init")[0], fatal_warnings=fatal, strategy=strategy,
        bounds=bounds, text=text, strategy_given="strategy" in check)


def thread_names(sc: Scenario) -> list[tuple[str, str, ThreadSpec]]:
    """(thread name, entry call, spec) for every thread, identical threads numbered."""
    out = []
    for t in sc.threads:
        if t.count == 1:
            out.append((t.name, t.call, t))
        else:
            for i in range(t.count):
                out.append((f"{t.name}{i}", t.call, t))
    return out
