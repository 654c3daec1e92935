"""JSON Schema of scenario, threat-model and package YAML: generated from the pydantic models,
printed by `reeplan scenarios schema`, and every bundled preset validates against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from reeplan.cli import app

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "reeplan"


def _yaml(path: Path) -> object:
    # YAML dates become ISO strings, as a YAML language server sees them
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    out = {}
    for kind in ("scenario", "threats", "package"):
        res = CliRunner().invoke(app, ["scenarios", "schema", kind])
        assert res.exit_code == 0, res.output
        out[kind] = json.loads(res.stdout)
        jsonschema.Draft202012Validator.check_schema(out[kind])
    return out


def test_presets_validate(schemas: dict[str, dict]) -> None:
    scenarios = sorted((PKG / "scenarios").glob("*.yaml"))
    packages = sorted((PKG / "finance" / "presets" / "packages").glob("*.yaml"))
    assert scenarios
    assert packages
    for path in scenarios:
        data = _yaml(path)
        kind = "threats" if isinstance(data, dict) and data.get("kind") == "threats" else \
            "scenario"
        jsonschema.validate(data, schemas[kind])
    for path in packages:
        jsonschema.validate(_yaml(path), schemas["package"])


def test_schema_rejects_unknown_field(schemas: dict[str, dict]) -> None:
    data = _yaml(sorted((PKG / "scenarios").glob("*.yaml"))[0])
    data["no_such_field"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schemas["scenario"])


def test_schema_files_written(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["scenarios", "schema", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "package.schema.json", "scenario.schema.json", "threats.schema.json"]
