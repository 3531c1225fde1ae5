"""Mutation fuzzing of the shipped examples and models: bad input never gives a traceback.

Each case copies a small shipped scenario (its user C and the library files it
uses, so that library code can be mutated too) into a temporary folder,
mutates one file (tokens or bytes of C; types, keys or encoding of the TOML)
and checks it in process under a time and state limit. It must end with a
result whose verdict is one of holds/violated/incomplete/error, never an
internal error, and within its limits.

CI runs ``HUGEMC_FUZZ_CASES`` cases (default 40); set it to thousands for a
thorough run. ``HUGEMC_FUZZ_SEED`` changes the cases.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import time
from pathlib import Path

import pytest

from hugemc.check import CheckOptions
from hugemc.runner import check_one
from hugemc.scenario import models_dir, properties_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# small scenarios (a few hundred states each): every model family, user C included
SEEDS = ["seed-v1-null-deref", "seed-merged", "mutant-forget-page", "free-pages-2020-leak", "gigantic-merged",
         "dissolve-fixed", "lost-update", "tryget-two-step-freeze", "hvo-d8f5f7e445f0-buggy",
         "isolate-0eb2df2b5629-fixed", "hwpoison-405ce051236c-fixed"]
CASES = int(os.environ.get("HUGEMC_FUZZ_CASES", "40"))
SEED = int(os.environ.get("HUGEMC_FUZZ_SEED", "20261130"))
TIME_LIMIT = 3.0
SLACK = 12.0  # seconds beyond the limit a loaded CI machine may take to stop and report

_TOKEN = re.compile(r"[A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+|==|!=|<=|>=|&&|\|\||->|<<|>>|\+\+|--|\S")
_WEIRD = ["(", ")", "{", "}", ";", "[", "]", "*", "&", "#", "\\", "\"", "'", "/*", "99999999999999999999999",
          "-1", "0", "1 << 62", "NULL", "goto", "while (1)", "int", "struct page", "__range(0, 1)", "ATOMIC",
          "TRACE(x)", "LOCAL(t, v)", "__real_put_page", "#include \"/etc/passwd\"", "\n#define X X\n"]
_TOML_VALUES = ["1", "-1", "true", "\"\"", "[]", "{}", "[1, 2]", "\"x\"", "1.5", "nan", "inf",
                "99999999999999999999", "\"/etc/passwd\"", "\"a\\nb\"", "[\"mm/page.h\"]"]


def _copy_scenario(name: str, dest: Path) -> Path:
    """The scenario, its files next to it, and a private copy of the library (shadowing the shipped one)."""
    shutil.copy(EXAMPLES / f"{name}.toml", dest / f"{name}.toml")
    if (EXAMPLES / "races").is_dir():
        shutil.copytree(EXAMPLES / "races", dest / "races")
    shutil.copy(EXAMPLES / "lost-update.c", dest / "lost-update.c")
    shutil.copytree(models_dir() / "mm", dest / "mm")
    for p in properties_dir().glob("*.c"):
        shutil.copy(p, dest / p.name)
    return dest / f"{name}.toml"


def _mutate_c(text: str, rng: random.Random) -> str:
    toks = [m for m in _TOKEN.finditer(text)]
    if not toks:
        return text + rng.choice(_WEIRD)
    m = rng.choice(toks)
    a, b = m.span()
    op = rng.randrange(6)
    if op == 0:  # delete a token
        return text[:a] + text[b:]
    if op == 1:  # duplicate it
        return text[:b] + " " + m.group() + text[b:]
    if op == 2:  # replace it with something odd
        return text[:a] + rng.choice(_WEIRD) + text[b:]
    if op == 3:  # swap with another token
        n = rng.choice(toks)
        if n.start() > b:
            return text[:a] + n.group() + text[b:n.start()] + m.group() + text[n.end():]
        return text
    if op == 4:  # a byte
        raw = bytearray(text.encode())
        raw[rng.randrange(len(raw))] = rng.randrange(256)
        return raw.decode("utf-8", errors="surrogateescape")
    return text[: rng.randrange(len(text))]  # truncated


def _mutate_toml(text: str, rng: random.Random) -> bytes:
    lines = text.splitlines()
    op = rng.randrange(6)
    keyed = [i for i, ln in enumerate(lines) if re.match(r"\s*[\w\"]+\s*=", ln)]
    if op == 0 and keyed:  # a value of another type
        i = rng.choice(keyed)
        k = lines[i].split("=", 1)[0]
        lines[i] = f"{k}= {rng.choice(_TOML_VALUES)}"
    elif op == 1 and keyed:  # a key dropped
        del lines[rng.choice(keyed)]
    elif op == 2:  # an unknown or duplicated key
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(["bogus = 1", "models = []", "expect = 3",
                                                                 "[threads]", "[defines]", "NR_PAGES = 100000"]))
    elif op == 3:  # a define or thread changed
        lines.append(rng.choice(["[defines]\nNR_PAGES = 0", "[defines]\nREF_MAX = -5",
                                 "[threads]\nx = \"nondet_int(0, 99999999)\"", "[threads]\ny = \"((((((((1))))))))\"",
                                 "[threads]\nz = { call = \"mm_init()\", count = 70 }"]))
    elif op == 4:  # the encoding
        raw = bytearray("\n".join(lines).encode())
        raw.insert(rng.randrange(len(raw) + 1), rng.choice([0xff, 0xfe, 0xc3, 0x00]))
        return bytes(raw)
    else:
        return "\n".join(lines)[: rng.randrange(len(text) + 1)].encode()
    return "\n".join(lines).encode()


def _one_case(k: int, tmp: Path) -> tuple[str, object]:
    rng = random.Random(SEED * 1_000_003 + k)
    name = SEEDS[k % len(SEEDS)]
    sc = _copy_scenario(name, tmp)
    if rng.random() < 0.35:
        sc.write_bytes(_mutate_toml(sc.read_text(), rng))
        what = f"{name}: TOML"
    else:
        files = sorted(tmp.glob("mm/*.[ch]")) + sorted(tmp.glob("races/*.c")) + sorted(tmp.glob("*.c"))
        f = rng.choice(files)
        f.write_text(_mutate_c(f.read_text(), rng), errors="surrogateescape")
        what = f"{name}: {f.relative_to(tmp)}"
    opt = CheckOptions(time_limit=TIME_LIMIT, max_states=20_000)
    t0 = time.monotonic()
    r = check_one(sc, opt)
    return what, (r, time.monotonic() - t0)


@pytest.mark.parametrize("k", range(CASES))
def test_mutated_input_never_gives_a_traceback(tmp_path, k):
    what, (r, seconds) = _one_case(k, tmp_path)
    assert r.verdict in ("holds", "violated", "incomplete", "error"), what
    assert "internal error" not in (r.error or ""), f"{what}\n{r.error}"
    assert "Traceback" not in (r.error or ""), f"{what}\n{r.error}"
    assert seconds < TIME_LIMIT + SLACK, f"{what}: ran {seconds:.1f} s under a {TIME_LIMIT} s limit"
    if r.verdict == "error":
        assert r.error and ("error:" in r.error), what  # a located, compiler-style diagnostic
