"""``grayrelease run``: the operator process (kopf watches plus the reconcile work queue)."""

from __future__ import annotations

import argparse
import asyncio
import logging

import kopf


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--namespace", action="append", default=[],
                        help="watch only this namespace (repeatable); default: all namespaces")
    parser.add_argument("--liveness", default="http://127.0.0.1:8080/healthz",
                        help="liveness endpoint URL kopf serves (empty to disable)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent reconciles (threads)")
    parser.add_argument("--metrics-port", type=int, default=9100, help="port of /metrics (0 disables)")
    parser.add_argument("--metrics-address", default="0.0.0.0", help="address /metrics listens on")
    parser.add_argument("--leader-elect", action="store_true",
                        help="reconcile only while holding the leader Lease (run several replicas for HA)")
    parser.add_argument("--leader-lease-namespace", default=None,
                        help="namespace of the Lease; default: $POD_NAMESPACE, else default")
    parser.add_argument("--leader-lease-name", default="grayrelease-leader")
    parser.add_argument("--leader-lease-duration", type=float, default=15.0, help="seconds")
    parser.add_argument("--leader-renew-period", type=float, default=5.0, help="seconds")
    parser.add_argument("--leader-retry-period", type=float, default=2.0, help="seconds")
    parser.add_argument("--notify-webhook", default=None, metavar="URL",
                        help="Slack-compatible webhook notified of every release's promotions, rollbacks, aborts "
                             "and pauses (default: $GRAYRELEASE_NOTIFY_WEBHOOK)")
    parser.add_argument("--verbose", action="store_true")


async def _operate(args: argparse.Namespace) -> None:
    # importing handlers registers the kopf handlers
    from grayrelease.controller import handlers, leader, metrics, store  # noqa: PLC0415

    handlers.queue.resize(args.workers)
    try:
        metrics.serve(args.metrics_port, args.metrics_address)
    except OSError as error:  # a taken port must not keep releases from moving
        logging.getLogger(__name__).error("cannot serve /metrics on port %s: %s", args.metrics_port, error)
    stopped = asyncio.Event()
    queue_task = asyncio.create_task(handlers.run_queue(stopped))
    elector: leader.Elector | None = None

    def lead() -> None:  # a new leader looks at every release at once: its stores are already warm
        for key in store.releases.keys():
            handlers.queue.add(key)

    if args.leader_elect:
        elector = leader.Elector(
            leader.Settings(namespace=args.leader_lease_namespace or leader.default_namespace(),
                            identity=leader.default_identity(), name=args.leader_lease_name,
                            lease_duration=args.leader_lease_duration, renew_period=args.leader_renew_period,
                            retry_period=args.leader_retry_period),
            leading=handlers.queue.leading, busy=lambda: handlers.queue.busy,
            on_leading=lead,
        )
        elector_task = asyncio.create_task(elector.run(stopped))
        # kopf runs cleanup handlers first thing on SIGTERM, seconds before it returns: hand over then
        kopf.on.cleanup(id="leader-step-down")(elector.on_cleanup)
    else:
        metrics.leading(True)  # a single replica always reconciles
    await asyncio.sleep(0)  # our tasks start before kopf's: kopf then leaves them alone when stopping
    try:
        await kopf.operator(
            clusterwide=not args.namespace,
            namespaces=args.namespace,
            liveness_endpoint=args.liveness or None,
            standalone=True,
        )
    finally:
        if elector is not None:
            await elector.shutdown()  # hand over at once on SIGTERM instead of letting the Lease expire
        stopped.set()
        await queue_task
        if elector is not None:
            await elector_task


def run(args: argparse.Namespace) -> int:
    kopf.configure(verbose=args.verbose)  # one root handler for kopf's and grayrelease's loggers
    from grayrelease.notify import notifier  # noqa: PLC0415
    notifier.configure(webhook=args.notify_webhook)
    asyncio.run(_operate(args))
    return 0
