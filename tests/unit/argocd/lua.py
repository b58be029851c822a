"""Runs grayrelease's Argo CD Lua scripts the way Argo CD does, with Lua 5.1 from the lupa package.

Argo CD (gopher-lua, Lua 5.1) sets the resource as the global ``obj``, runs the script in a
sandbox (base, table, string and math libraries, plus a preloaded safe ``os`` module reached
through ``require("os")``) and converts the returned table back to JSON. An empty Lua table is
ambiguous (map or list); Argo CD resolves it from the original object, and so does this runner,
so an action that leaves the spec alone returns it unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lupa import lua51

ROOT = Path(__file__).resolve().parents[3] / "argocd"
HEALTH = ROOT / "health.lua"
DISCOVERY = ROOT / "actions" / "discovery.lua"
ACTIONS = ("promote", "promote-full", "abort", "retry", "pause", "resume")

_SANDBOX = """
local script, obj = ...
local safe_os = {date = os.date, time = os.time, clock = os.clock}
local env = {
  obj = obj, assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  select = select, tonumber = tonumber, tostring = tostring, type = type, unpack = unpack,
  string = string, table = table, math = math,
  require = function(name)
    if name == "os" then return safe_os end
    error("module " .. tostring(name) .. " is not available in Argo CD's Lua sandbox")
  end,
}
local chunk, err = loadstring(script)
if chunk == nil then error(err) end
setfenv(chunk, env)
return chunk()
"""


def _to_lua(runtime: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return runtime.table_from({k: _to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([_to_lua(runtime, v) for v in value])
    return value


def _from_lua(value: Any, original: Any = None) -> Any:
    if not (hasattr(value, "keys") and hasattr(value, "items")):
        if isinstance(value, float) and value.is_integer() and isinstance(original, int):
            return int(value)
        return value
    items = dict(value.items())
    if not items:
        return [] if isinstance(original, list) else {}
    if all(isinstance(k, int) for k in items) and sorted(items) == list(range(1, len(items) + 1)):
        before = original if isinstance(original, list) else []
        return [_from_lua(items[i + 1], before[i] if i < len(before) else None) for i in range(len(items))]
    before = original if isinstance(original, dict) else {}
    return {str(k): _from_lua(v, before.get(k)) for k, v in items.items()}


def run(script: Path, obj: dict[str, Any]) -> Any:
    """The script's return value, converted back to Python (guided by ``obj`` for empty tables)."""
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    sandboxed = runtime.execute("return function(...) " + _SANDBOX + " end")
    return _from_lua(sandboxed(script.read_text(), _to_lua(runtime, obj)), obj)


def health(obj: dict[str, Any]) -> dict[str, str]:
    return run(HEALTH, obj)


def discovery(obj: dict[str, Any]) -> dict[str, bool]:
    """Action name -> enabled."""
    return {name: not spec.get("disabled", False) for name, spec in run(DISCOVERY, obj).items()}


def action(name: str, obj: dict[str, Any]) -> dict[str, Any]:
    return run(ROOT / "actions" / name / "action.lua", obj)
