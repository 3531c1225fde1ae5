"""Shared helpers: write a model and scenario, check it, validate every trace."""

from __future__ import annotations

import textwrap
from pathlib import Path

import os

import pytest
from hypothesis import HealthCheck, settings

from hugemc.check import CheckOptions, check_program
from hugemc.explore.validate import validate_trace
from hugemc.lang import build_program
from hugemc.scenario import load_scenario

# Hypothesis profiles: "dev" (default), "ci" (fewer random programs, chosen when CI is set) and
# "thorough" (thousands); pick one with HUGEMC_HYPOTHESIS_PROFILE=ci|dev|thorough.
_HC = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=_HC)
settings.register_profile("ci", max_examples=24, deadline=None, suppress_health_check=_HC)
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=_HC)
settings.load_profile(os.environ.get("HUGEMC_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# the compiled engine's C is built without optimisation in tests (its meaning is the same, the build quicker)
os.environ.setdefault("HUGEMC_CC_OPT", "-O0")


def write_scenario(tmp: Path, c_src: str, threads: dict, expect="holds", extra: str = "",
                   defines: dict | None = None, name="s") -> Path:
    """Write ``m.c`` and ``s.toml`` into ``tmp``; return the scenario path."""
    (tmp / "m.c").write_text(textwrap.dedent(c_src))
    lines = ['models = ["m.c"]', 'property_files = ["m.c"]']
    if isinstance(expect, str):
        lines.append(f'expect = "{expect}"')
    else:
        lines.append("expect = [" + ", ".join(f'"{e}"' for e in expect) + "]")
    lines.append(textwrap.dedent(extra))
    if defines:
        lines.append("[defines]")
        lines += [f"{k} = {v}" for k, v in defines.items()]
    lines.append("[threads]")
    for k, v in threads.items():
        lines.append(f'{k} = "{v}"' if isinstance(v, str) else f'{k} = {{ call = "{v[0]}", count = {v[1]} }}')
    p = tmp / f"{name}.toml"
    p.write_text("\n".join(lines) + "\n")
    return p


def check_file(path: Path, **opts):
    """Check a scenario and validate every trace it reports through the interpreter."""
    sc = load_scenario(path)
    program = build_program(sc)
    result = check_program(sc, program, CheckOptions(**opts))
    validate_all(program, result)
    return result


def validate_all(program, result) -> None:
    """Replay every violation trace and every reachable witness of a result."""
    for v in result.violations:
        validate_trace(program, v.trace, v.kind, v.property)
    for p in result.properties:
        if p.witness is not None:
            validate_trace(program, p.witness, "reachable", p.name)


@pytest.fixture
def run_c(tmp_path):
    """Check a C model given as text: run_c(src, threads, expect=..., ...) -> result."""
    def run(src, threads, expect="holds", extra="", defines=None, **opts):
        return check_file(write_scenario(tmp_path, src, threads, expect, extra, defines), **opts)
    return run


def violated(result) -> set[str]:
    """Names of the violated properties of a result."""
    return {v.property for v in result.violations}


def trace_of(result, prop):
    """The counterexample of property ``prop``."""
    for v in result.violations:
        if v.property == prop:
            return v.trace
    raise AssertionError(f"{prop} not violated; violations: {violated(result)}")
