"""What the e2e tests use to drive the local control plane and Prometheus the way a user does.

The scripts under hack/ start the real processes; this module only calls them, runs kubectl
(the real one, built by hack/cluster/build.sh) and waits for conditions. Nothing here fakes
a component: a test that passes here passed against a real kube-apiserver and Prometheus.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("GRAYRELEASE_CACHE", Path.home() / ".cache" / "grayrelease"))
STATE = Path(os.environ.get("GRAYRELEASE_STATE", REPO / ".cache" / "state"))
BIN = CACHE / "bin"

T = TypeVar("T")


def wait_until(check: Callable[[], T], *, timeout: float, interval: float = 0.5, what: str) -> T:
    """Polls ``check`` until it returns something truthy; fails with ``what`` after ``timeout``.

    The timeout only bounds a test that would otherwise hang: tests never assert durations.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - retried until the deadline, then reported
            last_error = error
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last error: {last_error!r}")
        time.sleep(interval)


def gateway_api_crds() -> Path:
    """The Gateway API CRDs copied from the pinned module by hack/cluster/build.sh."""
    versions = dict(line.split("=", 1) for line in (REPO / "hack/cluster/versions.env").read_text().splitlines()
                    if "=" in line and not line.startswith("#"))
    return CACHE / "gateway-api" / versions["GATEWAY_API_VERSION"].strip() / "standard-install.yaml"


def run_script(script: str, *args: str) -> None:
    subprocess.run(["bash", str(REPO / script), *args], check=True, cwd=REPO)


@dataclass
class Cluster:
    """The local control plane: kubeconfig plus a kubectl that speaks to it."""

    kubeconfig: Path
    started_here: bool = False

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig), "PATH": f"{BIN}:{os.environ['PATH']}"}

    def kubectl(self, *args: str, input: str | None = None, check: bool = True, as_user: str | None = None,
                token: str | None = None) -> subprocess.CompletedProcess[str]:
        cmd = [str(BIN / "kubectl"), *args]
        env = self.env
        if as_user:
            cmd.append(f"--as={as_user}")
        if token:
            env = {**env, "KUBECONFIG": str(self.token_kubeconfig(token))}
        result = subprocess.run(cmd, input=input, capture_output=True, text=True, env=env, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def token_kubeconfig(self, token: str) -> Path:
        """A kubeconfig that authenticates with ``token`` only (no admin certificate)."""
        pki = self.kubeconfig.parent / "pki"
        path = self.kubeconfig.parent / f"token-{abs(hash(token)) % 10**8}.kubeconfig"
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "token",
            "clusters": [{"name": "local", "cluster": {"server": self.server, "certificate-authority": str(pki / "ca.crt")}}],
            "users": [{"name": "token", "user": {"token": token}}],
            "contexts": [{"name": "token", "context": {"cluster": "local", "user": "token"}}],
        }))
        return path

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{os.environ.get('KUBE_API_PORT', '16443')}"

    def get(self, kind: str, name: str | None = None, namespace: str | None = None) -> dict[str, Any]:
        args = ["get", kind] + ([name] if name else []) + (["-n", namespace] if namespace else []) + ["-o", "json"]
        return json.loads(self.kubectl(*args).stdout)

    def apply(self, manifest: str, namespace: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.kubectl("apply", "-f", "-", *(["-n", namespace] if namespace else []), input=manifest)


@dataclass
class Process:
    """A long-running process of the project (the operator, the simulator) started by a test session."""

    name: str
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return STATE / "logs" / f"{self.name}.log"

    @property
    def pid_path(self) -> Path:
        return STATE / "pids" / f"{self.name}.pid"

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self._stop_leftover()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                     start_new_session=True)
        self.pid_path.write_text(str(self.proc.pid))

    def _stop_leftover(self) -> None:
        """Ends a process of the same name left by an interrupted test session (by its pid file only)."""
        try:
            pid = int(self.pid_path.read_text())
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (or SIGKILL: an abrupt death, as when a node is lost) and wait for it to end."""
        if self.proc is None or self.proc.poll() is not None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Prometheus:
    """A real Prometheus on loopback whose scrape targets are files this object writes."""

    url: str
    targets_dir: Path
    _added: list[Path] = field(default_factory=list)

    def add_target(self, job: str, address: str, labels: dict[str, str] | None = None) -> None:
        """Makes Prometheus scrape http://address/metrics (every second) with label job=<job>."""
        path = self.targets_dir / f"{job}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([{"targets": [address], "labels": {"job": job, **(labels or {})}}]))
        tmp.rename(path)  # atomic: Prometheus never reads a half-written file
        self._added.append(path)

    def add_rules(self, name: str, text: str) -> None:
        """Adds a rule file (YAML of rule groups) and reloads Prometheus, which evaluates it from then on."""
        path = self.targets_dir.parent / "rules" / f"{name}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.rename(path)
        self._added.append(path)
        self.reload()

    def reload(self) -> None:
        request = urllib.request.Request(f"{self.url}/-/reload", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def remove_targets(self) -> None:
        rules = any(path.suffix == ".yml" for path in self._added)
        for path in self._added:
            path.unlink(missing_ok=True)
        self._added.clear()
        if rules:
            self.reload()

    def stop(self) -> None:
        """Stops the server (an outage, as seen by the operator)."""
        run_script("hack/prometheus/down.sh")

    def start(self) -> None:
        run_script("hack/prometheus/up.sh")

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]["result"]
