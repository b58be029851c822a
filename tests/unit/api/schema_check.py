"""A small stand-in for the API server's CRD validation, so unit tests exercise the generated CRD.

It applies schema defaults, checks the OpenAPI keywords the CRD uses (type, required, enum,
minimum/maximum, lengths, pattern) and evaluates every ``x-kubernetes-validations`` rule with
cel-python. It is not the API server: the e2e tests apply manifests to a real one. It exists so a
rule that does not compile or says the opposite of its pydantic twin fails in a unit test.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import celpy

_ENV = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}


def _program(rule: str) -> Any:
    if rule not in _PROGRAMS:
        _PROGRAMS[rule] = _ENV.program(_ENV.compile(rule))
    return _PROGRAMS[rule]


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and "properties" in schema:
        for name, sub in schema["properties"].items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                value[name] = apply_defaults(sub, value[name])
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key in value:
            value[key] = apply_defaults(schema["additionalProperties"], value[key])
    elif isinstance(value, list) and "items" in schema:
        return [apply_defaults(schema["items"], item) for item in value]
    return value


def errors(schema: dict[str, Any], value: Any, path: str = "spec", *, old: Any = None) -> list[str]:
    """Every violation of ``schema`` by ``value`` (defaults already applied), as 'path: message'."""
    out: list[str] = []
    kind = schema.get("type")
    if kind == "object" and not isinstance(value, dict):
        return [f"{path}: must be an object"]
    if kind == "array" and not isinstance(value, list):
        return [f"{path}: must be a list"]
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return [f"{path}: must be an integer"]
    if kind == "string" and not isinstance(value, str):
        return [f"{path}: must be a string"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: must be one of {schema['enum']}")
    if "minimum" in schema and value < schema["minimum"]:
        out.append(f"{path}: must be >= {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        out.append(f"{path}: must be <= {schema['maximum']}")
    if isinstance(value, (str, list, dict)):
        size_keys = {str: ("minLength", "maxLength"), list: ("minItems", "maxItems"), dict: ("minProperties", "maxProperties")}
        low, high = size_keys[type(value)]
        if low in schema and len(value) < schema[low]:
            out.append(f"{path}: too short")
        if high in schema and len(value) > schema[high]:
            out.append(f"{path}: too long")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        out.append(f"{path}: must match {schema['pattern']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                out.append(f"{path}.{name}: Required value")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                sub_old = old.get(name) if isinstance(old, dict) else None
                out += errors(sub, value[name], f"{path}.{name}", old=sub_old)
        if isinstance(schema.get("additionalProperties"), dict):
            for key, item in value.items():
                out += errors(schema["additionalProperties"], item, f"{path}[{key}]")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += errors(schema["items"], item, f"{path}[{i}]")
    if out:
        return out  # the API server skips CEL rules of a value that fails its schema
    for rule in schema.get("x-kubernetes-validations", []):
        if "oldSelf" in rule["rule"] and old is None:
            continue
        activation = {"self": celpy.json_to_cel(value)}
        if old is not None:
            activation["oldSelf"] = celpy.json_to_cel(old)
        result = _program(rule["rule"]).evaluate(activation)
        if isinstance(result, Exception) or not bool(result):
            out.append(f"{path}: {rule['message']}")
    return out
