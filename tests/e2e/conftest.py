"""Session fixtures for e2e tests: the real local control plane and a real Prometheus.

Both are started once per test session by the hack/ scripts (or reused when already up) and
stopped at the end only if this session started them; set GRAYRELEASE_KEEP=1 to keep them.
The binaries must already be built (`make test` runs hack/cluster/build.sh first).
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from collections.abc import Iterator

import pytest

from tests.e2e import harness


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _pids_alive(*names: str) -> bool:
    for name in names:
        try:
            pid = int((harness.STATE / "pids" / f"{name}.pid").read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return False
    return True


@pytest.fixture(scope="session")
def cluster() -> Iterator[harness.Cluster]:
    already = _pids_alive("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
    harness.run_script("hack/cluster/up.sh")
    yield harness.Cluster(kubeconfig=harness.STATE / "kubeconfig", started_here=not already)
    if not already and os.environ.get("GRAYRELEASE_KEEP") != "1":
        harness.run_script("hack/cluster/down.sh")


@pytest.fixture(scope="session")
def prometheus() -> Iterator[harness.Prometheus]:
    already = _pids_alive("prometheus")
    harness.run_script("hack/prometheus/up.sh")
    port = os.environ.get("PROMETHEUS_PORT", "19090")
    prom = harness.Prometheus(url=f"http://127.0.0.1:{port}", targets_dir=harness.STATE / "prometheus" / "targets")
    yield prom
    prom.remove_targets()
    if not already and os.environ.get("GRAYRELEASE_KEEP") != "1":
        harness.run_script("hack/prometheus/down.sh")


@pytest.fixture(scope="session")
def crds(cluster: harness.Cluster) -> harness.Cluster:
    """The GrayRelease CRD from crds/ and the Gateway API CRDs, installed and established."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(harness.REPO / "crds"))
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(harness.gateway_api_crds()))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                    "crd/grayreleases.grayrelease.io", "crd/httproutes.gateway.networking.k8s.io")
    return cluster


@pytest.fixture(scope="session")
def operator(crds: harness.Cluster) -> Iterator[harness.Process]:
    """The grayrelease operator as a separate process with the admin kubeconfig (tests may kill and restart it)."""
    venv_bin = Path(sys.executable).parent
    process = harness.Process(
        name="operator-e2e",
        argv=[str(venv_bin / "grayrelease"), "run", f"--namespace={MANAGED_PREFIX}*", "--liveness=",
              f"--metrics-port={OPERATOR_METRICS_PORT}", "--metrics-address=127.0.0.1"],
        env={**crds.env, "PYTHONUNBUFFERED": "1"},
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def simulator(crds: harness.Cluster, prometheus: harness.Prometheus) -> Iterator[harness.Process]:
    """hack/demo's traffic simulator, scraped by the real Prometheus as job "simulator"."""
    process = harness.Process(
        name="simulator-e2e",
        argv=[sys.executable, str(harness.REPO / "hack/demo/simulator.py"), "--rps", "400",
              "--targets-file", str(prometheus.targets_dir / "simulator.json")],
        env={**crds.env, "PYTHONUNBUFFERED": "1"},
    )
    process.start()
    yield process
    process.stop()


MANAGED_PREFIX = "t-"  # the test operator watches only namespaces named like this
OPERATOR_METRICS_PORT = 19100  # the test operator's /metrics, scraped by tests/e2e/test_metrics.py


def _fresh_namespace(cluster: harness.Cluster, prefix: str) -> Iterator[str]:
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def namespace(cluster: harness.Cluster) -> Iterator[str]:
    """A fresh namespace per test, watched by the test operator; deleted afterwards (without waiting)."""
    yield from _fresh_namespace(cluster, MANAGED_PREFIX)


@pytest.fixture
def unmanaged_namespace(cluster: harness.Cluster) -> Iterator[str]:
    """A fresh namespace the test operator does not watch: tests write status there by hand."""
    yield from _fresh_namespace(cluster, "u-")
