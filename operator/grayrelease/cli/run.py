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
    parser.add_argument("--verbose", action="store_true")


async def _operate(args: argparse.Namespace) -> None:
    from grayrelease.controller import handlers  # noqa: PLC0415 - registers the kopf handlers

    handlers.queue.resize(args.workers)
    stopped = asyncio.Event()
    queue_task = asyncio.create_task(handlers.run_queue(stopped))
    try:
        await kopf.operator(
            clusterwide=not args.namespace,
            namespaces=args.namespace,
            liveness_endpoint=args.liveness or None,
            standalone=True,
        )
    finally:
        stopped.set()
        await queue_task


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    kopf.configure(verbose=args.verbose)
    asyncio.run(_operate(args))
    return 0
