"""The Helm chart on the real control plane: lint, server-side validation, install, upgrade,
`helm test`, and the operator running with nothing but the chart's ServiceAccount token.

kwok fakes the chart's pods (they become Ready but run nothing), so the operator process runs
here, authenticated as the chart's ServiceAccount, watching ``h-*`` namespaces. A release that
reaches Succeeded and another that is RolledBack, with no 403 in the log, show the RBAC is
sufficient; `kubectl auth can-i` as that ServiceAccount shows it is minimal.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import releases as gr
from tests.e2e.harness import BIN, REPO, Cluster, Process, Prometheus, wait_until

CHART = REPO / "charts" / "grayrelease"
RELEASE = "grayrelease"  # the chart's full name is then "grayrelease"
RELEASE_NS = "grayrelease-system"
SA = f"system:serviceaccount:{RELEASE_NS}:{RELEASE}"
PREFIX = "h-"  # namespaces watched by this module's operator, and no other
VALUES = ["--set", f"watchNamespaces={{{PREFIX}*}}"]
# How a refused call shows in the log: the client's ApiException, kopf's warnings; not ",403" in a timestamp.
DENIAL = re.compile(r"forbidden|not enough permissions|\(403\)|status[ =:]+403", re.IGNORECASE)


def helm(cluster: Cluster, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(BIN / "helm"), *args], capture_output=True, text=True, env=cluster.env, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def installed(crds: Cluster) -> Iterator[Cluster]:
    """The chart installed as release "grayrelease" in grayrelease-system; uninstalled at the end."""
    cluster = crds
    helm(cluster, "uninstall", RELEASE, "-n", RELEASE_NS, "--wait", check=False)  # left by an interrupted run
    _fresh_release_namespace(cluster)
    helm(cluster, "install", RELEASE, str(CHART), "-n", RELEASE_NS, *VALUES, "--wait", "--timeout", "120s")
    yield cluster
    helm(cluster, "uninstall", RELEASE, "-n", RELEASE_NS, "--wait")
    assert cluster.kubectl("get", "clusterrole", RELEASE, check=False).returncode != 0, "ClusterRole left behind"
    cluster.kubectl("delete", "namespace", RELEASE_NS, "--timeout=90s", check=False)


def _fresh_release_namespace(cluster: Cluster) -> None:
    """grayrelease-system exists and is not being deleted (a Terminating namespace refuses new objects)."""
    def ready() -> bool:
        got = cluster.kubectl("get", "namespace", RELEASE_NS, "-o", "jsonpath={.status.phase}", check=False)
        if got.returncode != 0:
            cluster.kubectl("create", "namespace", RELEASE_NS, check=False)
            return False
        return got.stdout == "Active"
    wait_until(ready, timeout=120, what=f"namespace {RELEASE_NS} active")


def test_lint_and_server_side_validation(crds: Cluster) -> None:
    lint = helm(crds, "lint", str(CHART), "--strict", *VALUES)
    assert "0 chart(s) failed" in lint.stdout
    _fresh_release_namespace(crds)
    rendered = helm(crds, "template", RELEASE, str(CHART), "-n", RELEASE_NS, "--include-crds",
                    "--kube-version", "1.36.0", *VALUES,
                    "--set", "metrics.serviceMonitor.enabled=false").stdout
    applied = crds.kubectl("apply", "--dry-run=server", "-f", "-", input=rendered)
    lines = applied.stdout.splitlines()
    assert all(line.endswith("(server dry run)") for line in lines), applied.stdout
    for kind in ("deployment.apps", "clusterrole.rbac.authorization.k8s.io", "role.rbac.authorization.k8s.io",
                 "poddisruptionbudget.policy", "customresourcedefinition.apiextensions.k8s.io"):
        assert any(line.startswith(f"{kind}/") for line in lines), f"no {kind} in {lines}"


def test_install_and_upgrade(installed: Cluster) -> None:
    # kwok's pods become Ready: they were admitted with the chart's restricted security context.
    deployment = wait_until(lambda: (d := installed.get("deployment", RELEASE, RELEASE_NS))["status"].get(
        "readyReplicas") == 2 and d, timeout=60, what="2 ready operator pods")
    assert "--namespace=h-*" in deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    helm(installed, "upgrade", RELEASE, str(CHART), "-n", RELEASE_NS, "--reuse-values", "--set", "workers=8",
         "--wait", "--timeout", "120s")
    upgraded = installed.get("deployment", RELEASE, RELEASE_NS)
    assert "--workers=8" in upgraded["spec"]["template"]["spec"]["containers"][0]["args"]
    history = helm(installed, "history", RELEASE, "-n", RELEASE_NS, "-o", "json").stdout
    assert '"revision":2' in history.replace(" ", "") and "deployed" in history
    assert installed.get("pdb", RELEASE, RELEASE_NS)["spec"]["minAvailable"] == 1


def test_helm_test_hook_runs(installed: Cluster) -> None:
    # Under kwok the hook Job's pod "succeeds" without running its script: this shows the hook is
    # well-formed, admitted and awaited, not that /metrics answered (the operator test below checks that).
    result = helm(installed, "test", RELEASE, "-n", RELEASE_NS, "--timeout", "120s")
    assert "Phase:          Succeeded" in result.stdout or "Phase: Succeeded" in result.stdout, result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sa_operator(installed: Cluster) -> Iterator[tuple[Process, int, int]]:
    """`grayrelease run` authenticated only by a token of the chart's ServiceAccount, as leader."""
    token = installed.kubectl("create", "token", RELEASE, "-n", RELEASE_NS, "--duration=1h").stdout.strip()
    port = _free_port()
    process = Process(
        name="operator-helm",
        argv=[str(Path(sys.executable).parent / "grayrelease"), "run", f"--namespace={PREFIX}*", "--liveness=",
              f"--metrics-port={port}", "--metrics-address=127.0.0.1", "--leader-elect",
              f"--leader-lease-namespace={RELEASE_NS}"],
        env={**installed.env, "KUBECONFIG": str(installed.token_kubeconfig(token)), "PYTHONUNBUFFERED": "1",
             "POD_NAME": "operator-helm"},
    )
    process.log_path.parent.mkdir(parents=True, exist_ok=True)
    log_start = process.log_path.stat().st_size if process.log_path.exists() else 0
    process.start()
    yield process, port, log_start
    process.stop()


@pytest.fixture
def h_namespaces(installed: Cluster) -> Iterator[list[str]]:
    names = [f"{PREFIX}{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        installed.kubectl("create", "namespace", name)
    yield names
    for name in names:
        installed.kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_chart_service_account_is_enough_to_promote_and_roll_back(
        installed: Cluster, sa_operator: tuple[Process, int, int], h_namespaces: list[str],
        simulator: Process, prometheus: Prometheus) -> None:
    cluster, (process, metrics_port, log_start) = installed, sa_operator
    good_ns, bad_ns = h_namespaces
    analysis = gr.error_rate_analysis(prometheus.url, threshold=0.05)
    # The good release uses every kind of object the operator writes: Deployments, Services, an
    # HTTPRoute's weights, a smoke-test Job (created, kept for its logs), Events, status.
    cluster.apply(gr.http_route("shop"), good_ns)
    routing = {"gatewayAPI": {"httpRoute": "shop"}}
    smoke = {"inspect": {"job": {"spec": {"template": {"spec": {
        "containers": [{"name": "smoke", "image": "example.com/smoke:1"}]}}}}}}
    good_steps = [{"setWeight": 50}, smoke, {"pause": {"duration": "2s"}}]
    bad_steps = [{"setWeight": 25}, {"pause": {"duration": "60s"}}, {"setWeight": 75}]
    cluster.apply(gr.grayrelease("shop", steps=good_steps, traffic=routing), good_ns)
    cluster.apply(gr.grayrelease("pay", steps=bad_steps, analysis=analysis, error_ratio=0.001), bad_ns)
    first_good = gr.wait_phase(cluster, good_ns, "shop", "Succeeded", timeout=90)
    gr.wait_phase(cluster, bad_ns, "pay", "Succeeded", timeout=90)

    cluster.apply(gr.grayrelease("shop", image="example.com/app:2", steps=good_steps, traffic=routing), good_ns)
    cluster.apply(gr.grayrelease("pay", image="example.com/app:2", steps=bad_steps, analysis=analysis,
                                 error_ratio=0.2), bad_ns)
    promoted = gr.wait_promoted(cluster, good_ns, "shop", first_good, timeout=120)
    assert promoted["canaryWeight"] == 0
    refs = cluster.get("httproute", "shop", good_ns)["spec"]["rules"][0]["backendRefs"]
    assert {r["name"]: r.get("weight", 1) for r in refs} == {"shop-stable": 100, "shop-canary": 0}
    jobs = cluster.get("jobs", namespace=good_ns)["items"]
    assert len(jobs) == 1 and jobs[0]["metadata"]["ownerReferences"][0]["name"] == "shop"  # the smoke test ran
    stable = gr.deployment(cluster, good_ns, "shop-stable")
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "example.com/app:2"
    rolled_back = gr.wait_phase(cluster, bad_ns, "pay", "RolledBack", timeout=180)
    assert rolled_back["canaryWeight"] == 0
    assert "Promoted" in gr.reasons(cluster, good_ns, "shop")  # Events need events/create
    assert any("Roll" in r for r in gr.reasons(cluster, bad_ns, "pay"))

    lease = cluster.get("lease", "grayrelease-leader", RELEASE_NS)
    assert lease["spec"]["holderIdentity"], lease
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as response:
        assert "grayrelease_" in response.read().decode()  # what the chart's `helm test` pod looks for

    assert process.alive()
    with process.log_path.open("rb") as log:
        log.seek(log_start)
        text = log.read().decode(errors="replace")
    denied = [line for line in text.splitlines() if DENIAL.search(line)]
    assert not denied, "\n".join(denied[:20])
    print(f"[figure] operator log lines with the chart's token: {len(text.splitlines())}")


# (verb, resource, namespace) the operator must be allowed, and must not be.
ALLOWED = [
    ("watch", "grayreleases.grayrelease.io", "h-any"),
    ("patch", "grayreleases.grayrelease.io/status", "h-any"),
    ("create", "deployments.apps", "h-any"),
    ("patch", "deployments.apps", "h-any"),
    ("create", "services", "h-any"),
    ("delete", "jobs.batch", "h-any"),
    ("patch", "httproutes.gateway.networking.k8s.io", "h-any"),
    ("create", "events", "h-any"),
    ("list", "namespaces", ""),
    ("create", "leases.coordination.k8s.io", RELEASE_NS),
    ("update", "leases.coordination.k8s.io/grayrelease-leader", RELEASE_NS),
]
DENIED = [
    ("get", "secrets", "h-any"),
    ("list", "secrets", ""),
    ("create", "pods/exec", "h-any"),
    ("create", "pods", "h-any"),
    ("get", "configmaps", "h-any"),
    ("delete", "grayreleases.grayrelease.io", "h-any"),
    ("patch", "grayreleases.grayrelease.io", "h-any"),  # the spec belongs to Git
    ("update", "grayreleases.grayrelease.io", "h-any"),
    ("delete", "deployments.apps", "h-any"),
    ("delete", "services", "h-any"),
    ("update", "deployments.apps", "h-any"),
    ("create", "httproutes.gateway.networking.k8s.io", "h-any"),
    ("delete", "namespaces", ""),
    ("create", "serviceaccounts/token", RELEASE_NS),
    ("update", "leases.coordination.k8s.io/kube-scheduler", "kube-system"),
    ("update", "leases.coordination.k8s.io/other-lease", RELEASE_NS),
    ("create", "leases.coordination.k8s.io", "kube-system"),
    ("create", "clusterrolebindings.rbac.authorization.k8s.io", ""),
    ("impersonate", "users", ""),
    ("*", "*", ""),
]


def _can(cluster: Cluster, verb: str, resource: str, namespace: str) -> str:
    args = ["auth", "can-i", verb]
    resource, _, sub = resource.partition("/")
    if sub and resource in ("pods", "serviceaccounts", "grayreleases.grayrelease.io"):
        args += [resource, f"--subresource={sub}"]
    else:
        args.append(f"{resource}/{sub}" if sub else resource)
    args += ["-n", namespace] if namespace else ["--all-namespaces"]
    return cluster.kubectl(*args, as_user=SA, check=False).stdout.strip()


def test_service_account_is_minimal(installed: Cluster) -> None:
    allowed = {case: _can(installed, *case) for case in ALLOWED}
    denied = {case: _can(installed, *case) for case in DENIED}
    assert {c: a for c, a in allowed.items() if a != "yes"} == {}
    assert {c: a for c, a in denied.items() if a != "no"} == {}
