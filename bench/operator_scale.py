"""Benchmark: the operator with many GrayReleases on the real local control plane.

Creates N releases (default 100) in a fresh namespace, starts `grayrelease run` watching only
that namespace, and prints figures: time until all are installed, the operator's resident
memory when they sit idle, its CPU use while idle (idle releases must cost nothing), and the
time and memory for a release of all N at once. Figures only: nothing here asserts a time.
With ``--compare stable`` or ``--compare baseline`` each release also judges a dry-run compare
metric every second against the local Prometheus, and against a baseline runs one: what the judge
and a baseline cost the operator.

With ``--unrelated N`` the namespace also holds N Deployments of one pod each that no release
owns, as a real cluster does: what the cluster's other workloads cost the operator.

    python -m bench.operator_scale [--releases 100] [--idle-seconds 20] [--compare none|stable|baseline]
                                   [--unrelated 0]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from tests.e2e import harness

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return {
        "rss_mib": int(fields["VmRSS"].split()[0]) / 1024,
        "hwm_mib": int(fields["VmHWM"].split()[0]) / 1024,
        "cpu_s": (int(stat[11]) + int(stat[12])) / CLOCK_TICKS,
        "threads": int(fields["Threads"]),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api_requests(port: int) -> dict[str, float]:
    """The operator's own count of Kubernetes API requests by method, from its /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("grayrelease_kubernetes_api_requests_total{"):
            method = line.split('method="', 1)[1].split('"', 1)[0]
            out[method] = float(line.rsplit(" ", 1)[1])
    return out


def _delta(after: dict[str, float], before: dict[str, float]) -> str:
    parts = [f"{m} {after[m] - before.get(m, 0):.0f}" for m in sorted(after) if after[m] - before.get(m, 0)]
    return ", ".join(parts) or "none"


PAUSE = {"none": "1s", "stable": "5s", "baseline": "5s"}
"""The step's pause: with a compare metric, long enough for several judged measurements."""


def _manifest(name: str, image: str, compare: str = "none") -> dict:
    spec = {"replicas": 2, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app", "image": image}]}},
            "strategy": {"steps": [{"setWeight": 50}, {"pause": {"duration": PAUSE[compare]}}]}}
    if compare != "none":
        # Both sides answer 0.1 s (no series has the label): the judge runs in full at every
        # measurement, and a dry-run metric decides nothing whatever it finds.
        spec["analysis"] = {"interval": "1s", "metrics": [{
            "name": f"latency-vs-{compare}", "dryRun": True,
            "provider": {"prometheus": {"address": PROMETHEUS}},
            "query": 'sum(up{bench="none",role="{{ side.role }}"}) or vector(0.1)',
            "compare": {"against": compare, "kind": "latency"}}]}
    return {"apiVersion": "grayrelease.io/v1alpha1", "kind": "GrayRelease", "metadata": {"name": name}, "spec": spec}


PROMETHEUS = f"http://127.0.0.1:{os.environ.get('PROMETHEUS_PORT', '19090')}"


def _apply_all(cluster: harness.Cluster, namespace: str, n: int, image: str, compare: str = "none") -> None:
    items = {"apiVersion": "v1", "kind": "List", "items": [_manifest(f"r{i:04d}", image, compare) for i in range(n)]}
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(items))


def _apply_unrelated(cluster: harness.Cluster, namespace: str, n: int) -> None:
    """N Deployments nobody releases, each with a pod (kwok makes it ready), in chunks kubectl takes."""
    for start in range(0, n, 500):
        items = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"other-{i:05d}"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": f"other-{i:05d}"}},
                           "template": {"metadata": {"labels": {"app": f"other-{i:05d}"}},
                                        "spec": {"containers": [{"name": "app", "image": "example.com/other:1"}]}}}}
                 for i in range(start, min(n, start + 500))]
        cluster.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                               "items": items}))


def _count(cluster: harness.Cluster, namespace: str, image_revision_changed_from: dict[str, str] | None = None) -> int:
    items = cluster.get("grayreleases", namespace=namespace)["items"]
    phases: dict[str, int] = {}
    for item in items:
        phase = (item.get("status") or {}).get("phase", "-")
        phases[phase] = phases.get(phase, 0) + 1
    print(f"  phases: {phases}", file=sys.stderr)
    done = 0
    for item in items:
        status = item.get("status") or {}
        if status.get("phase") != "Succeeded" or status.get("canaryWeight", 0) != 0:
            continue
        if image_revision_changed_from is not None and \
                status.get("stableRevision") == image_revision_changed_from.get(item["metadata"]["name"]):
            continue
        done += 1
    return done


def _measurements(cluster: harness.Cluster, namespace: str) -> int:
    """Compare measurements the releases took, by their status counters."""
    total = 0
    for item in cluster.get("grayreleases", namespace=namespace)["items"]:
        for record in ((item.get("status") or {}).get("analysis") or {}).values():
            total += sum(int(record.get(key, 0)) for key in ("successes", "failures", "inconclusives"))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=100)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--compare", choices=sorted(PAUSE), default="none",
                        help="add a dry-run compare metric judged every second, against the stable or a baseline")
    parser.add_argument("--unrelated", type=int, default=0, help="Deployments (one pod each) that no release owns")
    args = parser.parse_args()

    harness.run_script("hack/cluster/up.sh")
    if args.compare != "none":
        harness.run_script("hack/prometheus/up.sh")
    cluster = harness.Cluster(kubeconfig=harness.STATE / "kubeconfig")
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(harness.REPO / "crds"))
    namespace = f"b-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", namespace)
    metrics_port = _free_port()
    operator = harness.Process(name="operator-bench", env={**cluster.env, "PYTHONUNBUFFERED": "1"},
                               argv=[str(Path(sys.executable).parent / "grayrelease"), "run", f"--namespace={namespace}",
                                     "--liveness=", f"--metrics-port={metrics_port}", "--metrics-address=127.0.0.1"])
    try:
        if args.unrelated:
            _apply_unrelated(cluster, namespace, args.unrelated)
            harness.wait_until(lambda: sum(1 for p in cluster.get("pods", namespace=namespace)["items"]
                                           if (p.get("status") or {}).get("phase") == "Running") >= args.unrelated,
                               timeout=args.timeout, interval=2, what=f"{args.unrelated} unrelated pods running")
        _apply_all(cluster, namespace, args.releases, "example.com/app:1", args.compare)
        started = time.monotonic()
        operator.start()
        time.sleep(2)
        base = _proc(operator.proc.pid)
        harness.wait_until(lambda: _count(cluster, namespace) == args.releases, timeout=args.timeout, interval=1,
                           what=f"{args.releases} releases installed")
        installed = time.monotonic() - started
        time.sleep(3)
        before_idle, calls_before_idle = _proc(operator.proc.pid), _api_requests(metrics_port)
        time.sleep(args.idle_seconds)
        after_idle, calls_after_idle = _proc(operator.proc.pid), _api_requests(metrics_port)
        idle_cpu = after_idle["cpu_s"] - before_idle["cpu_s"]

        stable = {i["metadata"]["name"]: i["status"]["stableRevision"]
                  for i in cluster.get("grayreleases", namespace=namespace)["items"]}
        _apply_all(cluster, namespace, args.releases, "example.com/app:2", args.compare)
        started = time.monotonic()
        harness.wait_until(lambda: _count(cluster, namespace, stable) == args.releases, timeout=args.timeout,
                           interval=1, what=f"{args.releases} releases promoted")
        released = time.monotonic() - started
        after_release, calls_after_release = _proc(operator.proc.pid), _api_requests(metrics_port)

        judged = _measurements(cluster, namespace)
        baselines = sum(1 for d in cluster.get("deployments", namespace=namespace)["items"]
                        if d["metadata"]["name"].endswith("-baseline"))
        print(f"[figure] releases: {args.releases} (2 pods each, steps setWeight 50 + pause {PAUSE[args.compare]})"
              + (f"; a dry-run compare metric against {'the stable' if args.compare == 'stable' else 'a baseline'} "
                 f"every 1 s: {judged} measurements judged, {baselines} baseline Deployments run"
                 if args.compare != "none" else "")
              + (f"; beside {args.unrelated} Deployments (one pod each) that no release owns" if args.unrelated else ""))
        print(f"[figure] operator RSS at start (no work yet): {base['rss_mib']:.0f} MiB")
        print(f"[figure] all {args.releases} first installs Succeeded after {installed:.1f} s")
        print(f"[figure] operator RSS with {args.releases} idle GrayReleases: {after_idle['rss_mib']:.0f} MiB "
              f"(threads {after_idle['threads']})")
        print(f"[figure] operator CPU while idle for {args.idle_seconds:.0f} s: {idle_cpu:.2f} s "
              f"({100 * idle_cpu / args.idle_seconds:.1f}% of a core)")
        print(f"[figure] release of all {args.releases} at once: all promoted after {released:.1f} s; "
              f"RSS {after_release['rss_mib']:.0f} MiB, peak {after_release['hwm_mib']:.0f} MiB")
        print(f"[figure] API requests while {args.releases} releases sat idle for {args.idle_seconds:.0f} s: "
              f"{_delta(calls_after_idle, calls_before_idle)}")
        total = sum(calls_after_release.values()) - sum(calls_after_idle.values())
        print(f"[figure] API requests for the release of all {args.releases} (watches not counted): "
              f"{_delta(calls_after_release, calls_after_idle)}; {total / args.releases:.1f} per release")
    finally:
        operator.stop()
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
