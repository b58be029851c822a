"""The checked-in CRD is generated from the models and is a structural schema."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import celpy
import yaml

from grayrelease.api import crdgen

REPO = Path(__file__).resolve().parents[3]


def test_checked_in_crd_is_current() -> None:
    path = REPO / "crds" / crdgen.FILENAME
    assert path.read_text() == crdgen.render(), "crds/ is stale: run `grayrelease crds crds/`"


def test_check_flag_reports_stale_file(tmp_path: Path) -> None:
    (tmp_path / crdgen.FILENAME).write_text("stale")
    assert crdgen.run(argparse.Namespace(directory=str(tmp_path), check=True)) == 1
    assert crdgen.run(argparse.Namespace(directory=str(tmp_path), check=False)) == 0
    assert crdgen.run(argparse.Namespace(directory=str(tmp_path), check=True)) == 0


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        yield path, node
        for key in ("properties",):
            for name, sub in node.get(key, {}).items():
                yield from _walk(sub, f"{path}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from _walk(node[key], f"{path}[]")


def test_schema_is_structural() -> None:
    schema = yaml.safe_load(crdgen.render())["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    allowed_untyped = {"x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields"}
    for path, node in _walk(schema):
        assert "type" in node or allowed_untyped & node.keys(), f"{path} has no type"
        assert not {"$ref", "anyOf", "allOf", "oneOf", "title", "const", "propertyNames"} & node.keys(), path
        assert not ("properties" in node and "additionalProperties" in node), path
        if "default" in node:
            assert path.startswith(".spec"), f"{path}: defaults belong to the spec"


def test_every_cel_rule_compiles_and_lists_are_bounded() -> None:
    schema = crdgen.openapi_schema()
    env = celpy.Environment()
    rules = 0
    for path, node in _walk(schema):
        for rule in node.get("x-kubernetes-validations", []):
            env.compile(rule["rule"])
            assert rule["message"], path
            rules += 1
        if node.get("type") == "array":
            assert "maxItems" in node, f"{path}: unbounded list"
        if node.get("type") == "string" and path.startswith(".spec") and "enum" not in node:
            assert "maxLength" in node or "format" in node, f"{path}: unbounded string"
    assert rules >= 12


def test_printer_columns_and_names() -> None:
    spec = crdgen.crd()["spec"]
    assert spec["names"]["shortNames"] == ["gr"] and spec["scope"] == "Namespaced"
    version = spec["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"] if not c.get("priority")] == [
        "Phase", "Step", "Weight", "Stable", "Canary", "Age",
    ]
