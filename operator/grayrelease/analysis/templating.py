"""Release variables in metric queries: ``{{ canary.revision }}``, ``{{ namespace }}`` and so on.

Substituted values are escaped for a PromQL double-quoted string (backslash, quote, newline),
so a name or label value can end a string only where the query's author closed it: no PromQL
can be injected through a resource name. An unknown variable is an error, not an empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_VARIABLE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)\s*\}\}")


class TemplateError(ValueError):
    """The query names a variable the release does not define."""


def escape_promql_string(value: str) -> str:
    """Escapes ``value`` for use inside a double-quoted PromQL string literal."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def variables(namespace: str, name: str, stable_revision: str | None, canary_revision: str | None,
              side: str | None = None) -> dict[str, str]:
    """The variables of one release; ``side`` (stable|canary|baseline) adds ``side.*`` for compare
    metrics. The baseline runs the stable's revision."""
    out = {
        "namespace": namespace,
        "name": name,
        "stable.revision": stable_revision or "",
        "canary.revision": canary_revision or "",
        "baseline.revision": stable_revision or "",
        "stable.role": "stable",
        "canary.role": "canary",
        "baseline.role": "baseline",
    }
    if side is not None:
        out["side.role"] = side
        out["side.revision"] = out[f"{side}.revision"]
    return out


def names(query: str) -> set[str]:
    """The variables a query uses (``{{ side.revision }}`` -> ``side.revision``)."""
    return {match.group(1) for match in _VARIABLE.finditer(query)}


def render(query: str, values: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise TemplateError(f"unknown variable {{{{ {key} }}}}; known: {', '.join(sorted(values))}")
        return escape_promql_string(values[key])

    return _VARIABLE.sub(substitute, query)
