"""argocd/argocd-cm-patch.yaml is generated from the Lua files and says what Argo CD expects."""

from __future__ import annotations

import importlib.util

import yaml

from tests.unit.argocd import lua

_spec = importlib.util.spec_from_file_location("argocd_configmap", lua.ROOT / "configmap.py")
configmap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(configmap)


def test_checked_in_patch_is_up_to_date() -> None:
    assert configmap.main(["--check"]) == 0


def test_patch_carries_the_lua_files_verbatim() -> None:
    data = yaml.safe_load(configmap.PATCH.read_text())["data"]
    assert set(data) == {"resource.customizations.health.grayrelease.io_GrayRelease",
                         "resource.customizations.actions.grayrelease.io_GrayRelease"}
    assert data["resource.customizations.health.grayrelease.io_GrayRelease"] == lua.HEALTH.read_text()
    actions = yaml.safe_load(data["resource.customizations.actions.grayrelease.io_GrayRelease"])
    assert actions["discovery.lua"] == lua.DISCOVERY.read_text()
    assert {d["name"]: d["action.lua"] for d in actions["definitions"]} == {
        name: (lua.ROOT / "actions" / name / "action.lua").read_text() for name in lua.ACTIONS}
