"""The JSON Schema of the result (hugemc/schema/result.schema.json) matches what `hugemc check` writes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest

from conftest import EXAMPLES, ROOT, write_scenario


def load_schema() -> dict:
    """The schema as shipped in the package."""
    return json.loads(resources.files("hugemc.schema").joinpath("result.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def run_json(*args, cwd=ROOT) -> tuple[int, dict]:
    """Run `hugemc check ARGS --format json` and parse its standard output."""
    r = subprocess.run([sys.executable, "-m", "hugemc.cli", "check", *map(str, args), "--format", "json"],
                       capture_output=True, text=True, cwd=cwd)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout)


def assert_valid(validator, doc: dict) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{e.json_path}: {e.message[:300]}" for e in errors[:10])


@pytest.fixture(scope="module")
def examples_doc():
    rc, doc = run_json("examples/")
    assert rc == 0
    return doc


def test_schema_is_valid_2020_12():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_examples_validate(validator, examples_doc):
    assert len(examples_doc["scenarios"]) == len(list(EXAMPLES.glob("*.toml")))
    assert_valid(validator, examples_doc)
    # the examples exercise the optional parts: witnesses, failing steps, ops
    scs = examples_doc["scenarios"]
    assert any("witness" in p for s in scs for p in s["properties"])
    assert any("error" in st for s in scs for v in s["violations"] for st in v["trace"]["steps"])


def test_input_error_validates(validator, tmp_path):
    (tmp_path / "m.c").write_text("int x;\nvoid f(void) { x = ; }\n")
    (tmp_path / "bad.toml").write_text('models = ["m.c"]\n[threads]\nt = "f()"\n')
    (tmp_path / "worse.toml").write_text('models = [\n')  # not even TOML
    rc, doc = run_json(tmp_path / "bad.toml", tmp_path / "worse.toml")
    assert rc == 2
    assert_valid(validator, doc)
    for s in doc["scenarios"]:
        assert s["verdict"] == "error" and s["expected"] is None and s["error"]


def test_incomplete_search_validates(validator):
    rc, doc = run_json(EXAMPLES / "seed-merged.toml", "--max-states", "3")
    assert rc == 3
    assert_valid(validator, doc)
    s = doc["scenarios"][0]
    assert s["verdict"] == "incomplete" and s["stats"]["complete"] is False and s["stats"]["limit"] == "max_states"
    assert any(p["status"] == "unknown" for p in s["properties"])


def test_warnings_validate(validator, tmp_path):
    path = write_scenario(tmp_path, """
        int x __range(0, 2);

        void bump(void)
        {
        	x++;
        	WARN_ON(x == 1);
        }

        INVARIANT(small)
        {
        	return x <= 2;
        }
        """, {"t": ("bump()", 2)})
    rc, doc = run_json(path)
    assert rc == 0
    assert_valid(validator, doc)
    warnings = doc["scenarios"][0]["warnings"]
    assert warnings and warnings[0]["property"] == "warning" and warnings[0]["kind"] == "warning"
    assert any(m.startswith("WARNING:") for st in warnings[0]["trace"]["steps"] for m in st["messages"])


def test_optional_extensions_are_allowed(validator, examples_doc):
    doc = copy.deepcopy(examples_doc)
    doc["baseline"] = {"findings": []}
    doc["scenarios"][0]["coverage_detail"] = {"hits": {}}
    assert_valid(validator, doc)


def _first_step(doc: dict) -> dict:
    for s in doc["scenarios"]:
        for v in s["violations"]:
            if v["trace"]["steps"]:
                return v["trace"]["steps"][0]
    raise AssertionError("no step in the examples")


@pytest.mark.parametrize("corrupt", [
    pytest.param(lambda d: d["scenarios"][0].pop("verdict"), id="missing-verdict"),
    pytest.param(lambda d: d["scenarios"][0].__setitem__("verdict", "passed"), id="bad-verdict"),
    pytest.param(lambda d: _first_step(d).pop("line"), id="step-without-line"),
    pytest.param(lambda d: _first_step(d).__setitem__("line", "12"), id="step-line-not-integer"),
    pytest.param(lambda d: d["scenarios"][0]["stats"].__setitem__("strategy", "random"), id="bad-strategy"),
    pytest.param(lambda d: d["scenarios"][0].__setitem__("surprise", 1), id="unknown-scenario-key"),
    pytest.param(lambda d: d.pop("hugemc"), id="missing-version"),
    pytest.param(lambda d: d.__setitem__("schema", 2), id="other-schema-version"),
    pytest.param(lambda d: d["scenarios"][0]["properties"][0].__setitem__("status", "fine"), id="bad-status"),
    pytest.param(lambda d: d["scenarios"][0].__setitem__("error", "boom"), id="error-without-error-verdict"),
])
def test_corrupted_documents_are_rejected(validator, examples_doc, corrupt):
    doc = copy.deepcopy(examples_doc)
    corrupt(doc)
    assert not validator.is_valid(doc)


@pytest.mark.parametrize("opts", [["--symmetry", "--por"], ["--store", "hash-compact"], ["--workers", "2"],
                                  ["--store", "disk", "--strategy", "bfs"]])
def test_search_options_results_valid(validator, opts):
    code, doc = run_json(EXAMPLES / "seed-merged-two-readers.toml", EXAMPLES / "lost-update.toml", *opts)
    assert_valid(validator, doc)
    stats = [s["stats"] for s in doc["scenarios"]]
    if "--store" in opts:
        assert all(s["store"] == opts[opts.index("--store") + 1] for s in stats)
    if "hash-compact" in opts:
        assert code == 3 and stats[0]["limit"] == "hash_compact" and not stats[0]["complete"]
    else:
        assert code == 0
    if "--workers" in opts:
        assert all(s["workers"] == 2 for s in stats)
    if "--symmetry" in opts:
        assert "symmetry (plain0, plain1; atomic0, atomic1)" in stats[1]["reduction"]
