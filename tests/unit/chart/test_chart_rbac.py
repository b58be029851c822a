"""The chart's RBAC is exactly the operator's API calls: nothing sensitive, nothing broad."""

from __future__ import annotations

import rendering

# (apiGroup, resource) -> verbs. Each row is a call the operator or kopf makes (docs/install.md).
CLUSTER_RULES = {
    ("grayrelease.io", "grayreleases"): {"get", "list", "watch"},
    ("grayrelease.io", "grayreleases/status"): {"patch"},
    ("apps", "deployments"): {"get", "list", "watch", "create", "patch"},
    ("", "services"): {"get", "create", "patch"},
    ("batch", "jobs"): {"get", "list", "watch", "create", "delete"},
    ("gateway.networking.k8s.io", "httproutes"): {"get", "list", "watch", "patch"},
    ("", "pods"): {"list", "watch"},
    ("", "events"): {"create"},
    ("apiextensions.k8s.io", "customresourcedefinitions"): {"list", "watch"},
}
NAMESPACES = {("", "namespaces"): {"list", "watch"}}


def _table(rules: list[dict]) -> dict[tuple[str, str], set[str]]:
    table: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule, rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                table.setdefault((group, resource), set()).update(rule["verbs"])
    return table


def test_cluster_role_grants_exactly_the_operators_calls(default_objects: list[dict]) -> None:
    role = rendering.one(default_objects, "ClusterRole")
    assert _table(role["rules"]) == CLUSTER_RULES


def test_watching_namespaces_by_name_or_glob_adds_namespace_listing(helm) -> None:
    objects = rendering.render("--set", "watchNamespaces={shop,team-*}")
    assert _table(rendering.one(objects, "ClusterRole")["rules"]) == CLUSTER_RULES | NAMESPACES
    args = rendering.one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--namespace=shop" in args and "--namespace=team-*" in args


def test_nothing_sensitive_or_broad_is_granted(helm) -> None:
    objects = rendering.render("--set", "watchNamespaces={a-*}")
    for obj in objects:
        for rule in obj.get("rules", []):
            flat = [*rule["apiGroups"], *rule["resources"], *rule["verbs"]]
            assert "*" not in flat, rule
            assert not {"secrets", "pods/exec", "pods/log", "configmaps", "serviceaccounts/token"} & set(rule["resources"]), rule
            if "pods" in rule["resources"]:  # read to count canary restarts, never written
                assert set(rule["verbs"]) <= {"list", "watch"}, rule
            assert not {"escalate", "bind", "impersonate", "deletecollection"} & set(rule["verbs"]), rule


def test_leader_election_role_is_one_lease_in_the_release_namespace(default_objects: list[dict]) -> None:
    role = rendering.one(default_objects, "Role", "-leader-election")
    assert role["metadata"]["namespace"] == rendering.NAMESPACE
    assert role["rules"] == [
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["grayrelease-leader"],
         "verbs": ["get", "update"]},
    ]
    binding = rendering.one(default_objects, "RoleBinding", "-leader-election")
    account = rendering.one(default_objects, "ServiceAccount")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": rendering.NAMESPACE}]


def test_bindings_name_the_operators_service_account(default_objects: list[dict]) -> None:
    account = rendering.one(default_objects, "ServiceAccount")["metadata"]["name"]
    pod = rendering.one(default_objects, "Deployment")["spec"]["template"]["spec"]
    binding = rendering.one(default_objects, "ClusterRoleBinding")
    assert pod["serviceAccountName"] == account
    assert binding["subjects"][0]["name"] == account
    assert binding["roleRef"]["name"] == rendering.one(default_objects, "ClusterRole")["metadata"]["name"]


def test_rbac_and_service_account_can_be_left_to_the_user(helm) -> None:
    objects = rendering.render("--set", "rbac.create=false", "--set", "serviceAccount.create=false",
                               "--set", "serviceAccount.name=ops")
    assert not rendering.kinds(objects) & {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"}
    assert rendering.one(objects, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "ops"
