"""Tests for hugemc.lang.preprocess: the pure-Python C preprocessor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hugemc.diagnostics import HugemcError
from hugemc.lang.preprocess import Preprocessed, preprocess

_MARKER = re.compile(r'^# (\d+) "((?:[^"\\]|\\.)*)"')


def line_map(text: str) -> list[tuple[str, int, str]]:
    """(file, line, text) for every non-marker output line, following the markers."""
    result: list[tuple[str, int, str]] = []
    cur_file, cur_line = "?", 1
    for out in text.split("\n"):
        m = _MARKER.match(out)
        if m:
            cur_file = re.sub(r"\\(.)", r"\1", m.group(2))
            cur_line = int(m.group(1))
            continue
        result.append((cur_file, cur_line, out))
        cur_line += 1
    return result


def where(text: str, needle: str) -> tuple[str, int, int]:
    """(file, line, 1-based column) of the unique output line containing ``needle``."""
    hits = [(f, n, t.index(needle) + 1) for f, n, t in line_map(text) if needle in t]
    assert len(hits) == 1, f"{needle!r} found {len(hits)} times in:\n{text}"
    return hits[0]


def pp(src: str, name: str = "<test root>", dirs=(), defines=None) -> str:
    return preprocess(src, name, list(dirs), defines or {}).text


def code_lines(text: str) -> list[str]:
    return [t.strip() for _, _, t in line_map(text) if t.strip()]


def err(src: str, name: str = "<test root>", dirs=()) -> HugemcError:
    with pytest.raises(HugemcError) as info:
        preprocess(src, name, list(dirs))
    return info.value


# ---------------------------------------------------------------------------
# columns, comments, line numbers


def test_untouched_lines_keep_columns_and_text():
    src = "\tint  a;\n    struct s { int x; }   v;\nchar *p = \"  spaced  \";\n"
    out = pp(src)
    lines = [t for _, _, t in line_map(out)]
    assert lines[:3] == ["\tint  a;", "    struct s { int x; }   v;", 'char *p = "  spaced  ";']


def test_single_line_comment_becomes_spaces_of_equal_length():
    src = "int /* c */ a; // trailing\n"
    out = pp(src)
    assert where(out, "a;") == ("<test root>", 1, 13)
    assert "trailing" not in out and "/*" not in out


def test_multiline_comment_and_continuation_keep_line_numbers():
    src = (
        "int a;\n"          # 1
        "/* one\n"          # 2
        "   two\n"          # 3
        "   three */ int b;\n"  # 4
        "#define LONG 1 + \\\n"  # 5
        "   2\n"            # 6
        "long c = \\\n"     # 7
        "  5;\n"            # 8
        "int d = LONG;\n"   # 9
    )
    out = pp(src)
    assert where(out, "int a") == ("<test root>", 1, 1)
    assert where(out, "int b") == ("<test root>", 4, 13)
    assert where(out, "long c") == ("<test root>", 7, 1)
    assert where(out, "int d") == ("<test root>", 9, 1)
    assert "int d = 1 + 2;" in " ".join(out.split()).replace("\n", " ")
    assert "one" not in out and "three" not in out


def test_strings_containing_comment_markers_survive():
    src = 'char *a = "x // y"; char *b = "/* z */"; char c = \'/\'; // gone\nint after;\n'
    out = pp(src)
    assert 'char *a = "x // y"; char *b = "/* z */"; char c = \'/\';' in out
    assert "gone" not in out
    assert where(out, "int after") == ("<test root>", 2, 1)


def test_block_comment_continuing_a_directive():
    src = "#define X 1 /* a comment\n  that ends here */\nint v = X;\n"
    out = pp(src)
    assert where(out, "int v = 1;") == ("<test root>", 3, 1)


# ---------------------------------------------------------------------------
# includes and line markers


def test_markers_map_included_lines_back(tmp_path: Path):
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "a.h").write_text("/* header */\nint in_a1;\n\n#define A 1\nint in_a5 = A;\n")
    src = "int before;\n#include \"a.h\"\n\nint after1;\n  int after2;\n"
    out = pp(src, dirs=[inc])
    a_path = str(inc / "a.h")
    assert where(out, "in_a1") == (a_path, 2, 5)
    assert where(out, "in_a5 = 1") == (a_path, 5, 5)
    assert where(out, "before") == ("<test root>", 1, 5)
    assert where(out, "after1") == ("<test root>", 4, 5)
    assert where(out, "after2") == ("<test root>", 5, 7)
    assert preprocess(src, "<test root>", [inc]).files == (a_path,)


def test_nested_includes_and_marker_paths_are_openable(tmp_path: Path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inner.h").write_text("int inner;\n")
    (tmp_path / "outer.h").write_text('int outer1;\n#include "sub/inner.h"\nint outer3;\n')
    root = tmp_path / "main.c"
    root.write_text('#include "outer.h"\nint main_line2;\n')
    monkeypatch.chdir(tmp_path)
    res = preprocess(root.read_text(), "main.c", [])
    assert where(res.text, "inner;") == (str(Path("sub/inner.h")), 1, 5)
    assert where(res.text, "outer3") == ("outer.h", 3, 5)
    assert where(res.text, "main_line2") == ("main.c", 2, 5)
    assert res.files == ("outer.h", str(Path("sub/inner.h")))
    for f, n, _ in line_map(res.text):
        assert Path(f).is_file(), f


def test_quoted_include_prefers_including_files_directory(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "inc").mkdir()
    (tmp_path / "src" / "cfg.h").write_text("int from_src_dir;\n")
    (tmp_path / "inc" / "cfg.h").write_text("int from_include_dir;\n")
    (tmp_path / "src" / "mid.h").write_text('#include "cfg.h"\n#include <cfg.h>\n')
    root = tmp_path / "src" / "main.c"
    root.write_text('#include "mid.h"\n')
    out = pp(root.read_text(), str(root), dirs=[tmp_path / "inc"])
    # "cfg.h" from src/mid.h finds src/cfg.h; <cfg.h> only searches include_dirs
    assert where(out, "from_src_dir") == (str(tmp_path / "src" / "cfg.h"), 1, 5)
    assert where(out, "from_include_dir") == (str(tmp_path / "inc" / "cfg.h"), 1, 5)


def test_include_dirs_searched_in_order(tmp_path: Path):
    for d in ("one", "two"):
        (tmp_path / d).mkdir()
    (tmp_path / "one" / "x.h").write_text("int first;\n")
    (tmp_path / "two" / "x.h").write_text("int second;\n")
    (tmp_path / "two" / "y.h").write_text("int only_two;\n")
    out = pp("#include <x.h>\n#include <y.h>\n", dirs=[tmp_path / "one", tmp_path / "two"])
    assert "first" in out and "second" not in out and "only_two" in out


def test_missing_include_reports_location_and_searched_dirs(tmp_path: Path):
    e = err('int x;\n  #include "nothere.h"\n', dirs=[tmp_path / "a", tmp_path / "b"])
    assert e.loc is not None
    assert (e.loc.file, e.loc.line, e.loc.col) == ("<test root>", 2, 12)
    assert "nothere.h" in e.message
    assert e.hint is not None and str(tmp_path / "a") in e.hint and str(tmp_path / "b") in e.hint
    assert e.source_line == '  #include "nothere.h"'
    assert "<test root>:2:12" in e.render()


def test_pragma_once_and_include_guards(tmp_path: Path):
    (tmp_path / "once.h").write_text("#pragma once\nint once_decl;\n")
    (tmp_path / "guard.h").write_text("#ifndef GUARD_H\n#define GUARD_H\nint guard_decl;\n#endif\n")
    (tmp_path / "plain.h").write_text("int plain_decl;\n")
    src = ("#include <once.h>\n#include <once.h>\n#include <guard.h>\n#include <guard.h>\n"
           "#include <plain.h>\n#include <plain.h>\n")
    res = preprocess(src, "<test root>", [tmp_path])
    assert res.text.count("once_decl") == 1
    assert res.text.count("guard_decl") == 1
    assert res.text.count("plain_decl") == 2
    assert len(res.files) == 3


def test_include_cycle_is_reported(tmp_path: Path):
    (tmp_path / "loop.h").write_text('#include "loop.h"\n')
    e = err('#include "loop.h"\n', dirs=[tmp_path])
    assert "include nested too deeply" in e.message
    assert e.loc is not None and e.loc.file.endswith("loop.h") and e.loc.line == 1


def test_computed_include(tmp_path: Path):
    (tmp_path / "c.h").write_text("int computed;\n")
    out = pp('#define HDR "c.h"\n#include HDR\n', dirs=[tmp_path])
    assert "int computed;" in out


# ---------------------------------------------------------------------------
# macros


def test_object_and_function_like_macros_nested():
    src = ("#define N 4\n#define SQ(x) ((x) * (x))\n#define AREA SQ(N + 1)\n"
           "int a = AREA;\nint b = SQ(SQ(2));\n")
    lines = code_lines(pp(src))
    assert "int a = ((4 + 1) * (4 + 1));" in lines
    assert "int b = ((((2) * (2))) * (((2) * (2))));" in lines


def test_self_referential_macro_is_not_expanded_forever():
    src = "#define x x + 1\n#define a b\n#define b a\nint y = x; int z = a;\n"
    assert code_lines(pp(src)) == ["int y = x + 1; int z = a;"]


def test_function_like_name_without_paren_is_not_expanded():
    src = "#define f(a) a + 1\nint f; int g = f(2);\n"
    assert code_lines(pp(src)) == ["int f; int g = 2 + 1;"]


def test_stringify_and_paste():
    src = ('#define S(a) #a\n#define XS(a) S(a)\n#define CAT(a, b) a ## b\n#define V 42\n'
           'char *s = S(  two   words "q\\n" );\nchar *t = XS(V);\nchar *u = S(V);\n'
           'int CAT(var, 7) = CAT(0x, 1F);\nint CAT(, solo) = 1;\n')
    lines = code_lines(pp(src))
    assert 'char *s = "two words \\"q\\\\n\\"";' in lines
    assert 'char *t = "42";' in lines
    assert 'char *u = "V";' in lines
    assert "int var7 = 0x1F;" in lines
    assert "int solo = 1;" in lines


def test_argument_prescan_except_next_to_paste():
    src = "#define ONE 1\n#define CAT(a, b) a ## b\n#define ADD(a, b) a + b\nCAT(ONE, 2) ADD(ONE, 2)\n"
    assert code_lines(pp(src)) == ["ONE2 1 + 2"]


def test_variadic_macros():
    src = ("#define LOG(fmt, ...) printf(fmt, __VA_ARGS__)\n"
           "#define LOG2(fmt, ...) printf(fmt, ##__VA_ARGS__)\n"
           "#define COUNT(...) #__VA_ARGS__\n"
           'LOG("%d %d", 1, (2, 3));\nLOG2("none");\nchar *c = COUNT(a, b);\n')
    lines = code_lines(pp(src))
    assert 'printf("%d %d", 1, (2, 3));' in lines
    assert 'printf("none");' in lines
    assert 'char *c = "a, b";' in lines


def test_rescan_with_rest_of_line():
    src = "#define f(x) g\n#define g(y) y + 1\nint w = f(0)(5);\n"
    assert code_lines(pp(src)) == ["int w = 5 + 1;"]


def test_expansion_does_not_paste_tokens():
    src = "#define NEG -1\n#define EMPTY\nint a = -NEG; int b = -EMPTY-1;\n"
    assert code_lines(pp(src)) == ["int a = - -1; int b = - -1;"]


def test_columns_before_first_expansion_are_kept():
    src = "#define M 7\n    int long_name = M; int other;\n"
    out = pp(src)
    assert where(out, "long_name") == ("<test root>", 2, 9)
    assert where(out, "7;") == ("<test root>", 2, 21)  # where M was


def test_multiline_invocation_joined_on_first_line():
    src = "#define ADD(a, b) ((a) + (b))\nint s = ADD(1,\n            2);\nint after;\n"
    out = pp(src)
    assert where(out, "int s = ((1) + (2));") == ("<test root>", 2, 1)
    assert where(out, "int after") == ("<test root>", 4, 1)


def test_wrong_argument_count_is_reported_at_macro_name():
    e = err("#define F(a, b) a\nint x =  F(1);\n")
    assert e.loc is not None and (e.loc.line, e.loc.col) == (2, 10)
    assert "expects 2 arguments" in e.message and "1 given" in e.message


def test_unterminated_invocation():
    e = err("#define F(a) a\nint x = F(1, \n")
    assert "unterminated argument list" in e.message


def test_undef_and_redefinition():
    src = "#define A 1\nint a = A;\n#define A 2\nint b = A;\n#undef A\nint c = A;\n"
    assert code_lines(pp(src)) == ["int a = 1;", "int b = 2;", "int c = A;"]


def test_defines_mapping_and_predefined():
    src = ("int a = FLAG; int b = OFF; int c = NUM; int d = EXPR;\n"
           "#if FLAG && !OFF && NUM == 3 && __HUGEMC__\nint all_ok;\n#endif\n")
    out = pp(src, defines={"FLAG": True, "OFF": False, "NUM": 3, "EXPR": "(1 + 2)"})
    lines = code_lines(out)
    assert lines == ["int a = 1; int b = 0; int c = 3; int d = (1 + 2);", "int all_ok;"]


def test_file_and_line_builtins():
    out = pp('int l = __LINE__;\n\nchar *f = __FILE__;\n', name="<r>")
    assert code_lines(out) == ["int l = 1;", 'char *f = "<r>";']


# ---------------------------------------------------------------------------
# conditionals


@pytest.mark.parametrize("expr, expected", [
    ("1 + 2 * 3 == 7", True),
    ("(1 + 2) * 3 == 9", True),
    ("1 << 2 + 1 == 8", True),
    ("-7 / 2 == -3 && -7 % 2 == -1", True),
    ("0x10 + 010 + 'A' == 16 + 8 + 65", True),
    ("-1 < 0", True),
    ("-1 < 0u", False),
    ("1 ? 2 : 3 == 2", True),
    ("0 || 2 && 0", False),
    ("~0 == -1 && !5 == 0", True),
    ("5 & 3 ^ 1 | 8", True),
    ("10L / 3UL == 3", True),
    ("UNDEFINED_NAME == 0", True),
    ("0 && 1 / 0", False),
    ("1 || 1 % 0", True),
    ("'\\n' == 10 && '\\x41' == 65 && '\\377' < 0", True),
])
def test_if_arithmetic(expr: str, expected: bool):
    out = pp(f"#if {expr}\nint yes;\n#else\nint no;\n#endif\n")
    assert code_lines(out) == (["int yes;"] if expected else ["int no;"])


def test_defined_forms_and_macro_expansion_in_if():
    src = ("#define A 2\n#define B A * 3\n"
           "#if defined A && defined(B) && !defined C && B == 6\nint ok;\n#endif\n"
           "#ifdef A\nint ifdef_ok;\n#endif\n#ifndef C\nint ifndef_ok;\n#endif\n")
    assert code_lines(pp(src)) == ["int ok;", "int ifdef_ok;", "int ifndef_ok;"]


def test_elif_chain_takes_first_true_branch_only():
    src = ("#define V 2\n#if V == 1\nint one;\n#elif V == 2\nint two;\n#elif V >= 2\nint two_again;\n"
           "#else\nint other;\n#endif\nint end;\n")
    out = pp(src)
    assert code_lines(out) == ["int two;", "int end;"]
    assert where(out, "int two;") == ("<test root>", 5, 1)
    assert where(out, "int end") == ("<test root>", 11, 1)


def test_nested_skipped_regions_are_not_processed():
    src = ("#if 0\n#if 1\nint a;\n#elif 1 / 0\nint b;\n#endif\n#error not reached\n#bogus\n"
           "#include \"missing.h\"\n#else\n#endif\n"
           "#if 1\n#if 0\nint c;\n#elif 1\nint d;\n#endif\n#else\nint e;\n#endif\nint f;\n")
    out = pp(src)
    assert code_lines(out) == ["int d;", "int f;"]
    assert where(out, "int f") == ("<test root>", 21, 1)


def test_if_division_by_zero_and_bad_expression():
    e = err("#if 4 / (2 - 2)\n#endif\n")
    assert "division by zero" in e.message
    assert e.loc is not None and (e.loc.line, e.loc.col) == (1, 7)
    e = err("#if 1 + * 2\n#endif\n")
    assert e.loc is not None and (e.loc.line, e.loc.col) == (1, 9)
    e = err("#if (1\n#endif\n")
    assert "')'" in e.message


def test_unterminated_if_reported_at_if():
    e = err("int a;\n  #ifdef X\nint b;\n")
    assert e.loc is not None and (e.loc.line, e.loc.col) == (2, 3)
    assert "unterminated" in e.message


def test_unterminated_if_in_included_file(tmp_path: Path):
    (tmp_path / "bad.h").write_text("#if 1\n")
    e = err("#include <bad.h>\n#endif\n", dirs=[tmp_path])
    assert e.loc is not None and e.loc.file.endswith("bad.h")


@pytest.mark.parametrize("src, msg", [
    ("#endif\n", "#endif without #if"),
    ("#else\n", "#else without #if"),
    ("#if 1\n#else\n#else\n#endif\n", "#else after #else"),
    ("#if 1\n#else\n#elif 1\n#endif\n", "#elif after #else"),
])
def test_unbalanced_conditionals(src: str, msg: str):
    assert msg in err(src).message


# ---------------------------------------------------------------------------
# other directives


def test_error_directive():
    e = err("int a;\n#error this model is broken\n")
    assert e.message == "#error: this model is broken"
    assert e.loc is not None and e.loc.line == 2
    assert e.source_line == "#error this model is broken"


def test_unknown_directive():
    e = err("\n#frobnicate x\n")
    assert e.message == "unknown preprocessor directive '#frobnicate'"
    assert e.loc is not None and (e.loc.line, e.loc.col) == (2, 2)


def test_ignored_directives_keep_line_numbers():
    src = ('#pragma pack(1)\n#warning careful\n#line 100 "x.c"\n# 7 "other.c"\n#\nint here;\n')
    out = pp(src)
    assert where(out, "int here") == ("<test root>", 6, 1)
    assert "pack" not in out and "careful" not in out and "other.c" not in out


def test_bad_define_value_type_is_an_error():
    with pytest.raises(HugemcError):
        preprocess("", "<r>", [], {"X": 1.5})  # type: ignore[dict-item]


def test_marker_escapes_quotes_and_backslashes():
    out = pp("int a;\n", name='we"ird\\name')
    assert out.splitlines()[0] == '# 1 "we\\"ird\\\\name"'


# ---------------------------------------------------------------------------
# pycparser round trip


def test_pycparser_coords_point_at_original_positions(tmp_path: Path):
    from pycparser import c_ast, c_parser

    (tmp_path / "types.h").write_text(
        "#pragma once\n/* shared types */\n\ntypedef   unsigned long  ulong_t;\n"
        "#define REFS(p) ((p)->refcount)\nstruct page { int refcount; };\n")
    src = ('#include "types.h"\n'
           "\n"
           "/* a\n   comment */\n"
           "static ulong_t counter;\n"
           "int get(struct page *p)\n"
           "{\n"
           "    return REFS(p) +\n"
           "           1;\n"
           "}\n")
    res = preprocess(src, "<scenario s.toml>", [tmp_path])
    ast = c_parser.CParser().parse(res.text, "<scenario s.toml>")

    found: dict[str, c_ast.Node] = {}

    class V(c_ast.NodeVisitor):
        def visit_Typedef(self, node):
            found["typedef"] = node

        def visit_Decl(self, node):
            found.setdefault(f"decl:{node.name}", node)
            self.generic_visit(node)

        def visit_Return(self, node):
            found["return"] = node
            self.generic_visit(node)

    V().visit(ast)
    td = found["typedef"].coord
    assert (td.file, td.line, td.column) == (str(tmp_path / "types.h"), 4, 26)  # the declarator
    counter = found["decl:counter"].coord
    assert (counter.file, counter.line, counter.column) == ("<scenario s.toml>", 5, 16)
    ret = found["return"].coord
    assert (ret.file, ret.line, ret.column) == ("<scenario s.toml>", 8, 5)
    assert isinstance(res, Preprocessed)
