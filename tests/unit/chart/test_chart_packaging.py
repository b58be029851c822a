"""One version, one CRD source, one image: the chart, the package and the Dockerfile agree."""

from __future__ import annotations

import re

import yaml

import rendering
from grayrelease import __version__

DOCKERFILE = (rendering.REPO / "Dockerfile").read_text()


def test_chart_crds_are_a_copy_of_the_generated_crds() -> None:
    source = {p.name: p.read_text() for p in (rendering.REPO / "crds").glob("*.yaml")}
    copy = {p.name: p.read_text() for p in (rendering.CHART / "crds").glob("*.yaml")}
    assert source, "crds/ is empty"
    assert copy == source, "charts/grayrelease/crds/ differs from crds/: cp crds/*.yaml charts/grayrelease/crds/"


def test_chart_version_is_the_package_version() -> None:
    chart = yaml.safe_load((rendering.CHART / "Chart.yaml").read_text())
    assert chart["version"] == __version__
    assert chart["appVersion"] == __version__


def test_changelog_has_the_current_version() -> None:
    changelog = (rendering.REPO / "CHANGELOG.md").read_text()
    assert f"## [{__version__}]" in changelog


def _final_stage() -> str:
    return re.split(r"^FROM ", DOCKERFILE, flags=re.M)[-1]


def test_image_runs_the_operator_as_a_non_root_user() -> None:
    final = _final_stage()
    assert final.startswith("${PYTHON_IMAGE}\n")
    user = re.search(r"^USER (\d+):(\d+)$", final, flags=re.M)
    assert user and int(user.group(1)) > 0
    assert 'ENTRYPOINT ["grayrelease", "run"]' in final
    assert not re.search(r"apt-get|gcc|build-essential|pip install", final)


def test_image_user_and_ports_match_the_chart(default_objects: list[dict]) -> None:
    values = yaml.safe_load((rendering.CHART / "values.yaml").read_text())
    user = re.search(r"^USER (\d+):(\d+)$", _final_stage(), flags=re.M)
    assert user is not None
    assert values["podSecurityContext"]["runAsUser"] == int(user.group(1))
    exposed = {int(p) for p in re.search(r"^EXPOSE (.+)$", _final_stage(), flags=re.M).group(1).split()}
    assert exposed == {values["liveness"]["port"], values["metrics"]["port"]}
