"""Which notification an Event becomes, who receives it, and what the body says."""

from __future__ import annotations

import http.server
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest

from grayrelease.api.spec import GrayReleaseSpec, NotificationEvent as E
from grayrelease.notify import notifier, payload
from grayrelease.notify.sender import Delivery, Sender

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
STEPS = [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {"duration": "1m"}}]


def spec(notifications: dict[str, Any] | None = None, **strategy: Any) -> GrayReleaseSpec:
    data: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "shop"}},
        "template": {"metadata": {"labels": {"app": "shop"}}, "spec": {"containers": [{"name": "a", "image": "x"}]}},
        "strategy": {"steps": STEPS, **strategy},
    }
    if notifications is not None:
        data["notifications"] = notifications
    return GrayReleaseSpec.model_validate(data)


def body(step: int = 0, phase: str = "Progressing") -> dict[str, Any]:
    return {"metadata": {"name": "shop", "namespace": "prod", "uid": "u-1", "generation": 3},
            "status": {"phase": phase, "currentStepIndex": step, "stableRevision": "aaa", "canaryRevision": "bbb"}}


@pytest.mark.parametrize(("reason", "step", "phase", "strategy", "event"), [
    ("Promoted", 4, "Progressing", {}, E.PROMOTED),
    ("RolledBack", 2, "Progressing", {}, E.ROLLED_BACK),
    ("Aborted", 1, "Paused", {}, E.ABORTED),
    ("Paused", 2, "Progressing", {}, E.PAUSED),
    ("AnalysisInconclusive", 2, "Progressing", {}, E.PAUSED),
    ("AnalysisMarginal", 2, "Progressing", {}, E.HELD),
    ("AnalysisMarginal", 3, "Progressing", {}, E.PAUSED),
    ("StepCompleted", 0, "Progressing", {}, E.PAUSED),
    ("StepCompleted", 1, "Paused", {}, E.STEP_COMPLETED),
    ("StepCompleted", 2, "Progressing", {}, E.STEP_COMPLETED),
    ("StepPromoted", 0, "Progressing", {}, E.PAUSED),
    ("PromotedFull", 0, "Progressing", {}, E.STEP_COMPLETED),
    ("ReleaseRetried", 2, "RolledBack", {}, E.STARTED),
    ("ProgressDeadlineExceeded", 2, "Progressing", {}, E.DEGRADED),
    ("ProgressDeadlineExceeded", 2, "Progressing", {"onFailure": "pause"}, E.PAUSED),
    ("ProgressDeadlineExceeded", 4, "Progressing", {"onFailure": "pause"}, E.DEGRADED),
    ("SomethingNew", 0, "Progressing", {}, None),
    ("AnalysisDryRunFailed", 2, "Progressing", {}, E.DRY_RUN_FAILED),
], ids=[
    "Promoted -> promoted", "RolledBack -> rolledBack", "Aborted -> aborted", "Paused by command -> paused",
    "no data -> paused", "marginal mid-release -> held", "marginal before promotion -> paused", "step completed into a manual gate -> paused", "manual gate left -> stepCompleted",
    "step completed into a weight -> stepCompleted", "promote into a manual gate -> paused",
    "promote-full -> stepCompleted", "retry -> started", "deadline, onFailure rollback -> degraded",
    "deadline in a step, onFailure pause -> paused", "deadline while promoting -> degraded", "unknown reason -> none",
    "a dry-run metric failing -> dryRunFailed",
])
def test_classify(reason: str, step: int, phase: str, strategy: dict[str, Any], event: E | None) -> None:
    assert payload.classify(reason, spec(**strategy), body(step, phase)["status"]) is event


def test_body_is_slack_compatible_and_machine_readable() -> None:
    out = payload.build(event=E.ROLLED_BACK, body=body(2), type_="Warning", reason="RolledBack",
                        message="analysis error-rate failed: 0.2 >= 0.05; rolled back to stable aaa", when=NOW)
    assert out["text"].startswith(":rewind: GrayRelease prod/shop rolled back: analysis error-rate failed")
    attachment, = out["attachments"]
    assert attachment["color"] == "danger"
    assert attachment["ts"] == int(NOW.timestamp())
    assert {"title": "Release", "value": "prod/shop", "short": True} in attachment["fields"]
    facts = out["grayrelease"]
    assert facts["event"] == "rolledBack" and facts["reason"] == "RolledBack" and facts["type"] == "Warning"
    assert (facts["namespace"], facts["name"], facts["uid"]) == ("prod", "shop", "u-1")
    assert facts["time"] == "2026-03-01T12:00:00Z"
    assert facts["before"] == {"phase": "Progressing", "currentStepIndex": 2, "stableRevision": "aaa",
                               "canaryRevision": "bbb"}
    json.dumps(out)  # JSON all the way down


def test_promoted_is_green() -> None:
    out = payload.build(event=E.PROMOTED, body=body(4), type_="Normal", reason="Promoted", message="m", when=NOW)
    assert out["attachments"][0]["color"] == "good"


def test_long_messages_are_bounded() -> None:
    out = payload.build(event=E.PAUSED, body=body(), type_="Normal", reason="Paused", message="x" * 10000, when=NOW)
    assert len(out["text"]) <= 3000 and len(out["attachments"][0]["text"]) <= 3000


# --- who receives what ------------------------------------------------------------------------

CLUSTER = "https://hooks.example.com/cluster"
OWN = "https://hooks.example.com/team"


def urls(reason: str, s: GrayReleaseSpec, cluster: str | None = CLUSTER, step: int = 2) -> list[str]:
    return [d.url for d in notifier.deliveries(body(step), s, "Normal", reason, "m", NOW, cluster)]


def test_cluster_webhook_gets_the_default_events() -> None:
    assert urls("Promoted", spec()) == [CLUSTER]
    assert urls("RolledBack", spec()) == [CLUSTER]
    assert urls("StepCompleted", spec()) == []  # not a default event
    assert urls("Promoted", spec(), cluster=None) == []


def test_release_webhook_gets_its_chosen_events() -> None:
    own = spec({"webhook": {"url": OWN, "events": ["stepCompleted", "promoted"]}})
    assert urls("StepCompleted", own) == [OWN]
    assert urls("Promoted", own) == [CLUSTER, OWN]
    assert urls("RolledBack", own) == [CLUSTER]
    assert urls("Promoted", spec({"webhook": {"url": CLUSTER}})) == [CLUSTER]  # one POST per URL


def test_a_dry_run_failure_goes_only_where_it_was_asked_for() -> None:
    assert urls("AnalysisDryRunFailed", spec()) == []  # not a default event: the release goes on
    assert urls("AnalysisDryRunFailed", spec({"webhook": {"url": OWN, "events": ["dryRunFailed"]}})) == [OWN]


def test_release_webhook_defaults() -> None:
    hook = spec({"webhook": {"url": OWN}}).notifications.webhook
    assert hook.events == [E.PROMOTED, E.ROLLED_BACK, E.ABORTED, E.PAUSED]
    assert hook.timeout_seconds == 5


@pytest.mark.parametrize("webhook", [
    {"url": "ftp://example.com"}, {"url": ""}, {"url": OWN, "events": []}, {"url": OWN, "events": ["exploded"]},
    {"url": OWN, "timeoutSeconds": 600},
], ids=["scheme", "empty url", "no events", "unknown event", "timeout too long"])
def test_invalid_webhooks_are_rejected(webhook: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        spec({"webhook": webhook})


def test_configure_rejects_other_schemes_and_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError):
        notifier.configure(webhook="file:///etc/passwd")
    monkeypatch.setenv(notifier.ENV, CLUSTER)
    notifier.configure()
    assert notifier._cluster_url == CLUSTER
    notifier.configure(webhook=OWN)
    assert notifier._cluster_url == OWN
    monkeypatch.delenv(notifier.ENV)
    notifier.configure()
    assert notifier._cluster_url is None


# --- delivery ---------------------------------------------------------------------------------


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    release = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.release.wait(10)
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200 if self.path == "/ok" else 500)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Any:
    _Receiver.received = []
    _Receiver.release = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _Receiver.release.set()
    server.shutdown()


def test_sender_never_blocks_and_drops_when_full(receiver: str) -> None:
    sender = Sender(max_queue=2)
    accepted = [sender.submit(Delivery(url=f"{receiver}/ok", body={"n": n}, timeout=5)) for n in range(6)]
    assert accepted.count(False) >= 3  # one in flight (held by the receiver), two queued, the rest dropped
    assert sender.dropped == accepted.count(False)
    _Receiver.release.set()
    assert sender.flush(10)
    assert sorted(r["n"] for r in _Receiver.received) == [n for n, ok in enumerate(accepted) if ok]


def test_a_failing_receiver_is_logged_not_retried(receiver: str, caplog: pytest.LogCaptureFixture) -> None:
    _Receiver.release.set()
    sender = Sender()
    sender.submit(Delivery(url=f"{receiver}/broken", body={"n": 1}, timeout=5))
    sender.submit(Delivery(url="http://127.0.0.1:9/refused", body={"n": 2}, timeout=1))
    assert sender.flush(10)
    assert sender.failed == 2 and sender.sent == 0
    assert len(_Receiver.received) == 1  # at most once: no retry
    assert "notification to http://127.0.0.1" in caplog.text


def test_emit_sends_each_event_once(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _Receiver.release.set()
    monkeypatch.setattr(notifier, "_cluster_url", None)
    own = spec({"webhook": {"url": f"{receiver}/ok"}})
    release = body(4)
    release["metadata"]["uid"] = f"u-{id(own)}"
    for _ in range(3):  # the same decision re-applied after a lost status patch
        notifier.emit(release, own, "Normal", "Promoted", "revision bbb is stable")
    notifier.emit(release, own, "Normal", "StepCompleted", "not a chosen event")
    assert notifier.flush(10)
    assert [r["grayrelease"]["reason"] for r in _Receiver.received] == ["Promoted"]


def test_emit_never_raises() -> None:
    notifier.emit({"metadata": {}}, spec(), "Normal", "Promoted", "m")  # malformed body: logged only
