"""The front end: C-subset models and a scenario in, an IR Program out.

Pipeline: preprocess (pure Python, :mod:`.preprocess`) -> read ``__range``
annotations (:mod:`.annotate`) -> parse (pycparser) -> lower to the IR
(:mod:`.lower`, :mod:`.builtins`).
"""

from __future__ import annotations

import re
from pathlib import Path

from pycparser import c_parser

from ..diagnostics import HugemcError, SourceLoc, did_you_mean, read_source_line, some_names
from ..ir import Program, int_text
from ..ir.slim import slim
from ..scenario import Scenario, prelude_dir, thread_names, models_dir, properties_dir
from .annotate import extract_flags, extract_ranges, marked_lines
from .lower import INIT_NAME, THREAD_PREFIX, Lowerer, Options
from .lower_common import domain_hint, domain_too_wide
from .nesting import check_nesting, deep_recursion
from .preprocess import MAX_EXPANSION, preprocess

_PARSE_ERR = re.compile(r"^(.*?):(\d+):(\d+): (.*)$", re.S)


class _Parser(c_parser.CParser):
    """pycparser, with a location for every syntax error (some carry only a file name)."""

    def _parse_error(self, msg, coord):  # type: ignore[override]
        if (coord is None or isinstance(coord, str)) and hasattr(self, "_peek"):
            tok = self._peek()
            if tok is not None:
                coord = self._tok_coord(tok)
                msg = f"{msg.lower()} before: {tok.value}"
        return super()._parse_error(msg, coord)


def _c_string(p: str) -> str:
    return p.replace("\\", "\\\\").replace('"', '\\"')


def build_program(sc: Scenario) -> Program:
    """Compile a scenario's models, properties and threads into an IR Program."""
    with deep_recursion():
        try:
            return _build_program(sc)
        except RecursionError:
            raise HugemcError("nesting too deep to compile", SourceLoc(str(sc.path)),
                              hint="split deeply nested expressions or blocks into functions or locals") from None


def _build_program(sc: Scenario) -> Program:
    root_name = f"<scenario {sc.path}>"
    lines = ['#include "hugemc.h"']
    included = set()
    for f in list(sc.models) + list(sc.property_files):
        key = f.resolve()
        if key not in included:  # a file may hold both model code and properties
            included.add(key)
            lines.append(f'#include "{_c_string(str(key))}"')
    call_lines: dict[int, tuple[int, int]] = {}  # root line -> (toml line, col)
    for tid, (tname, call, spec) in enumerate(thread_names(sc)):
        lines.append(f"void {THREAD_PREFIX}{tid}(void) {{")
        lines.append(f"{call};")
        call_lines[len(lines)] = (spec.line, spec.col)
        lines.append("}")
    if sc.init is not None:
        lines.append(f"void {INIT_NAME}(void) {{")
        lines.append(f"{sc.init};")
        line, _ = sc.key_loc("init").line, 0
        raw = sc.text.splitlines()[line - 1] if line else ""
        call_lines[len(lines)] = (line, raw.find(sc.init) + 1 if sc.init in raw else 1)
        lines.append("}")
    root_text = "\n".join(lines) + "\n"
    include_dirs = [sc.path.parent] + list(sc.include_dirs) + [models_dir(), properties_dir(), prelude_dir()]
    defines = dict(sc.defines)
    caps = _caps(sc)
    pp = preprocess(root_text, root_name, include_dirs, defines, allowed_roots=sc.allowed_roots or None,
                    max_expansion=caps.pop("max_expansion", MAX_EXPANSION))
    text = _relocate_calls(pp.text, root_name, call_lines, str(sc.path))
    check_nesting(text)
    text, ranges = extract_ranges(text)
    text, flag_annots = extract_flags(text)
    source_lines = {}
    for i, raw in enumerate(sc.text.splitlines(), 1):
        source_lines[(str(sc.path), i)] = raw
    try:
        ast = _Parser().parse(text, filename=root_name)
    except c_parser.ParseError as e:
        err = _parse_error(str(e), source_lines)
        if err.loc is None or err.loc.file in (root_name, "", None):  # past the end of every model file
            err = _unclosed_brace(pp.text, root_name) or err
        raise err from None
    opts = Options(fatal_warnings=sc.fatal_warnings, debug_vm=_debug_vm(sc), **caps,
                   library_dirs=tuple(d.resolve() for d in (models_dir(), properties_dir(), prelude_dir())))
    overrides = []
    for k, (lo, hi) in sc.domains.items():
        if domain_too_wide(lo, hi, opts.max_domain):
            raise HugemcError(f"domain '{k}' = [{int_text(lo)}, {int_text(hi)}] is too wide to be meant",
                              sc.key_loc(k), hint=domain_hint(opts.max_domain))
        if k == "int":
            opts.int_domain = (lo, hi)
        elif k == "unsigned":
            opts.unsigned_domain = (lo, hi)
        else:
            overrides.append((k, lo, hi))
            opts.domain_locs[k] = sc.key_loc(k)
    opts.domain_overrides = overrides
    lw = Lowerer(ast, ranges, opts, source_lines)
    lw.flag_annots = flag_annots
    lw.collect()
    names = [n for n, _, _ in thread_names(sc)]
    calls = [c for _, c, _ in thread_names(sc)]
    available = {p[0]: p[1] for p in lw.properties_ast}
    if sc.properties is not None:
        for p in sc.properties:
            if p not in available:
                from ..ir import BUILTIN_PROPERTIES
                if p in BUILTIN_PROPERTIES:
                    continue
                raise HugemcError(f"unknown property '{p}'", sc.item_loc("properties", p),
                                  hint=did_you_mean(p, list(available)) or
                                  ("properties defined in the property files: " + ", ".join(sorted(available))
                                   if available else "no property_files define any property"))
    from ..ir import BUILTIN_PROPERTIES
    for p in sc.expect_violated:
        if p in available and sc.properties is not None and p not in sc.properties:
            raise HugemcError(f"'expect' names property '{p}', which 'properties' does not select",
                              sc.item_loc("expect", p), hint=f"add '{p}' to properties")
    select = None if sc.properties is None else set(sc.properties)
    lw.lower_all(names, calls, select)
    program = slim(lw.finalize(sc.name, names, calls, select, [str(f) for f in pp.files]))
    sites = program.sites()
    for p in sc.expect_violated:
        if p not in available and p not in BUILTIN_PROPERTIES and p not in sites:
            if "@" in p:
                hint = (did_you_mean(p, list(sites)) or
                        ("assertion sites of this scenario: " + ", ".join(sites) if sites else
                         "no thread of this scenario reaches an assertion"))
            else:
                known = list(available) + list(BUILTIN_PROPERTIES) + list(sites)
                hint = did_you_mean(p, known) or "properties of this scenario: " + some_names(known)
            raise HugemcError(f"'expect' names unknown property '{p}'", sc.item_loc("expect", p), hint=hint)
    return program


_CAPS = {"HUGEMC_MAX_ARRAY": "max_array", "HUGEMC_MAX_DOMAIN": "max_domain", "HUGEMC_MAX_NONDET": "max_nondet",
         "HUGEMC_MAX_EXPANSION": "max_expansion"}


def _caps(sc: Scenario) -> dict:
    """Size caps raised by the scenario's defines (HUGEMC_MAX_ARRAY, ...)."""
    out = {}
    for define, field in _CAPS.items():
        if define in sc.defines:
            v = sc.defines[define]
            try:
                v = int(v, 0) if isinstance(v, str) else v
                if isinstance(v, bool) or v <= 0:
                    raise ValueError
            except ValueError:
                raise HugemcError(f"{define} must be a positive integer", sc.key_loc(define)) from None
            out[field] = v
    return out


def _debug_vm(sc: Scenario) -> bool:
    """CONFIG_DEBUG_VM from the scenario's defines (default 1)."""
    v = sc.defines.get("CONFIG_DEBUG_VM", 1)
    if isinstance(v, str):
        try:
            v = int(v, 0)
        except ValueError:
            raise HugemcError(f"CONFIG_DEBUG_VM must be 0 or 1, not '{v}'", sc.key_loc("CONFIG_DEBUG_VM"),
                              hint="CONFIG_DEBUG_VM = 0 compiles VM_BUG_ON*/VM_WARN_ON* out") from None
    return bool(v)


def _relocate_calls(text: str, root_name: str, call_lines, toml_path: str) -> str:
    """Point the generated thread-entry lines back at the scenario's TOML lines."""
    out = []
    for raw, is_marker, cur_file, cur_line in marked_lines(text):
        if is_marker:
            out.append(raw)
            continue
        if cur_file == root_name and cur_line in call_lines:
            tl, col = call_lines[cur_line]
            out.append(f'# {tl} "{_c_string(toml_path)}"')
            out.append(" " * max(col - 1, 0) + raw)
            out.append(f'# {cur_line + 1} "{_c_string(root_name)}"')
            continue
        out.append(raw)
    return "\n".join(out)


_MARKER = re.compile(r'# (\d+) "((?:[^"\\]|\\.)*)"$')


def _unclosed_brace(text: str, root_name: str) -> HugemcError | None:
    """The error for a '{' of a model file that is never closed (then the parser only fails in the
    scenario's own code after it), from the preprocessed ``text``; None if every brace is closed."""
    stack: list[tuple[str, int, int]] = []
    name, line = root_name, 0
    for row in text.split("\n"):
        m = _MARKER.match(row)
        if m:
            name, line = re.sub(r"\\(.)", r"\1", m.group(2)), int(m.group(1)) - 1
            continue
        line += 1
        quote = ""
        for col, c in enumerate(row, 1):
            if quote:
                quote = "" if c == quote else quote
            elif c in "\"'":
                quote = c
            elif c == "{":
                stack.append((name, line, col))
            elif c == "}" and stack:
                stack.pop()
    left = [b for b in stack if b[0] != root_name]
    if not left:
        return None
    name, line, col = left[0]
    return HugemcError("this '{' is never closed", SourceLoc(name, line, col),
                       hint=f"a '}}' is missing before the end of {Path(name).name}")


def _parse_error(msg: str, source_lines) -> HugemcError:
    m = _PARSE_ERR.match(msg)
    if not m:
        return HugemcError(f"syntax error: {msg}", hint="see docs/language.md for the C subset")
    file, line, col, rest = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    text = source_lines.get((file, line)) or read_source_line(file, line)
    tok = rest.split("before:", 1)[1].strip() if "before:" in rest else ""
    hint = "see docs/language.md for the C subset"
    if tok.startswith("__attribute__") or tok == "__attribute__":
        hint = "attributes are not supported; remove it"
    elif tok and re.fullmatch(r"[A-Za-z_]\w*", tok):
        hint = f"is '{tok}' or the word before it an unknown type? declare types with typedef or struct"
    what = rest.split(" before:")[0] if " before:" in rest and not rest.startswith("before") else ""
    what = f"syntax error ({what}) before '{tok}'" if what else (
        f"syntax error before '{tok}'" if tok else f"syntax error: {rest}")
    return HugemcError(what, SourceLoc(file, line, col), hint=hint, source_line=text)
