"""values.schema.json turns mistakes into errors at `helm install` time, before anything runs."""

from __future__ import annotations

import pytest

import rendering

BAD_VALUES = [
    (("--set", "replicaCount=0"), "/replicaCount"),
    (("--set", "replicas=3"), "replicas"),  # a typo of replicaCount is not silently ignored
    (("--set", "image.pullPolicy=Sometimes"), "/image/pullPolicy"),
    (("--set", "image.repository="), "/image/repository"),
    (("--set", "image.digest=latest"), "/image/digest"),
    (("--set", "watchNamespaces={Shop_Prod}"), "/watchNamespaces/0"),
    (("--set", "workers=0"), "/workers"),
    (("--set", "metrics.port=70000"), "/metrics/port"),
    (("--set", "metrics.serviceMonitor.interval=soon"), "/metrics/serviceMonitor/interval"),
    (("--set", "securityContext.allowPrivilegeEscalation=true"), "/securityContext/allowPrivilegeEscalation"),
    (("--set", "securityContext.privileged=true"), "/securityContext/privileged"),
    (("--set", "securityContext.capabilities.add={NET_ADMIN}"), "/securityContext/capabilities/add"),
    (("--set", "podSecurityContext.runAsNonRoot=false"), "/podSecurityContext/runAsNonRoot"),
    (("--set", "podSecurityContext.runAsUser=0"), "/podSecurityContext/runAsUser"),
    (("--set", "resources.limits.memory=lots"), "/resources/limits/memory"),
    (("--set", "podDisruptionBudget.minAvailable=half"), "/podDisruptionBudget/minAvailable"),
    (("--set", "leaderElection.leaseName=Not_A_Name"), "/leaderElection/leaseName"),
    (("--set", "notifications.webhookSecret.name=Slack Hook"), "/notifications/webhookSecret/name"),
]


@pytest.mark.parametrize("args, where", BAD_VALUES, ids=[w for _, w in BAD_VALUES])
def test_bad_values_are_rejected(helm, args: tuple[str, ...], where: str) -> None:
    result = rendering.helm_template(*args)
    assert result.returncode != 0, f"{args} was accepted"
    assert where in result.stderr, result.stderr


@pytest.mark.parametrize("args", [
    ("--set", "watchNamespaces={shop,team-*,!team-legacy}"),
    ("--set", "podDisruptionBudget.minAvailable=50%"),
    ("--set", "resources.requests.cpu=0.5", "--set", "resources.limits.memory=1Gi"),
    ("--set", "image.digest=sha256:" + "0" * 64),
    ("--set", "replicaCount=1", "--set", "leaderElection.enabled=false"),
], ids=["globs", "percent-budget", "quantities", "digest", "single-replica"])
def test_good_values_are_accepted(helm, args: tuple[str, ...]) -> None:
    result = rendering.helm_template(*args)
    assert result.returncode == 0, result.stderr
