"""``kubectl gray``: the kubectl plugin people use to see and drive GrayReleases.

This module holds the argument parsing and the dispatch only. What is shown lives in
``gray_tree`` (get), ``gray_table`` (list) and ``gray_wait`` (watch, status); what is asked is
decided in ``gray_actions`` and sent by ``gray_cluster``. Commands are written into the status
subresource for the operator, never into the spec; ``undo`` and ``set image`` are a person's
edit of the spec, as ``kubectl edit`` would be.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from datetime import UTC, datetime
from typing import Any

import yaml

from grayrelease.api.durations import parse_duration
from grayrelease.api.resource import GrayRelease
from grayrelease.api.spec import Metric
from grayrelease.api.status import CommandAction
from grayrelease.cli import gray_actions, gray_cluster, gray_completion, gray_table, gray_tree, gray_wait, replay_release
from grayrelease.cli.gray_text import Painter, use_colour

PROG = "kubectl gray"


# --- arguments --------------------------------------------------------------------------------


def _global_flags(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """kubectl's connection flags; on subcommands too, so they may come anywhere, as with kubectl."""
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("-n", "--namespace", default=default, help="namespace (default: the context's)")
    parser.add_argument("--context", default=default, help="kubeconfig context to use")
    parser.add_argument("--kubeconfig", default=default, help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="no colours (also when NO_COLOR is set or output is not a terminal)")


def _duration(text: str) -> float:
    if text in ("0", ""):
        return 0.0
    try:
        return parse_duration(text).total_seconds()
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="See and drive GrayReleases: progressive delivery on Kubernetes.",
        epilog="Commands go to the operator through the status subresource; the spec stays what is in Git.",
    )
    _global_flags(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_flags(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=gray_completion.COMMANDS.get(name),
                              description=gray_completion.COMMANDS.get(name), **kwargs)

    get = add("get")
    get.add_argument("name")
    get.add_argument("-w", "--watch", action="store_true", help="redraw until Ctrl-C")
    get.add_argument("--until-done", action="store_true",
                     help="with --watch: stop when the release succeeds (exit 0) or fails (exit 1)")
    get.add_argument("--interval", type=_duration, default=1.0, help="with --watch: time between reads (default 1s)")
    get.add_argument("-o", "--output", choices=("json", "yaml"), help="print the resource instead of the tree")

    listing = add("list", aliases=["ls"])
    listing.add_argument("-A", "--all-namespaces", action="store_true", help="releases of every namespace")
    listing.add_argument("-o", "--output", choices=("json", "yaml", "wide"))

    promote = add("promote")
    promote.add_argument("name")
    promote.add_argument("--full", action="store_true", help="skip the remaining steps and promote to stable")
    for name in ("abort", "retry", "pause", "resume", "undo"):
        add(name).add_argument("name")

    set_ = add("set")
    set_sub = set_.add_subparsers(dest="what", metavar="WHAT", required=True)
    image = set_sub.add_parser("image", parents=[common], help="set container images: NAME CONTAINER=IMAGE...")
    image.add_argument("name")
    image.add_argument("images", nargs="+", metavar="CONTAINER=IMAGE", help="`*` for every container")

    status = add("status")
    status.add_argument("name")
    status.add_argument("-t", "--timeout", type=_duration, default=0.0,
                        help="give up after this long, exit 2 (e.g. 10m; default 0: wait forever)")
    status.add_argument("--interval", type=_duration, default=2.0, help="time between reads (default 2s)")

    replay = add("replay")
    replay.add_argument("name")
    replay.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    replay_release.add_judge_flags(replay)
    replay.add_argument("--prometheus", metavar="URL", nargs="?", const="",
                        help="run the release's compare queries again against this Prometheus over its whole analysis "
                             "window, rather than judge the last 60 values per side its status keeps; without URL, "
                             "each compare metric's own provider.prometheus.address")
    replay.add_argument("--stable-revision", help="with --prometheus: the stable revision the queries compared against "
                                                  "(a promoted release's status no longer names it)")
    replay.add_argument("--canary-revision", help="with --prometheus: the canary revision (default: the status's)")
    replay.add_argument("--start", help="with --prometheus: window start, RFC 3339 or Unix seconds (default: the analysis start)")
    replay.add_argument("--end", help="with --prometheus: window end, RFC 3339 or Unix seconds (default: the last measurement)")
    replay.add_argument("--save", type=Path, metavar="PATH",
                        help="also write the scenarios (labelled with --truth): to the file PATH.json if there is "
                             "one, else into the folder PATH, for grayrelease replay to score a judge change on later")
    replay_release.add_truth_flags(replay, "labels this release")

    completion = add("completion")
    completion.add_argument("shell", choices=gray_completion.SHELLS)
    add("version")
    complete = sub.add_parser("__complete", add_help=False)
    complete.add_argument("words", nargs=argparse.REMAINDER)
    return parser


# --- commands ---------------------------------------------------------------------------------


class Context:
    """What every command needs: where to look, who asks, and how to print."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        gray_cluster.connect(args.kubeconfig, args.context)
        self.namespace = args.namespace or gray_cluster.default_namespace(args.kubeconfig, args.context)
        self.paint = Painter(use_colour() and not args.no_color)

    def requester(self) -> str:
        return gray_cluster.requester(self.args.kubeconfig, self.args.context)

    def read(self) -> gray_cluster.Release:
        return gray_cluster.read(self.namespace, self.args.name)


def _dump(obj: Any, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(obj, indent=2))
    else:
        print(yaml.safe_dump(obj, sort_keys=False), end="")


def cmd_get(ctx: Context) -> int:
    args = ctx.args
    if args.output:
        _dump(gray_cluster.get_raw(ctx.namespace, args.name), args.output)
        return 0
    if args.watch:
        return gray_wait.watch(ctx.read, until_done=args.until_done, interval=args.interval, paint=ctx.paint)
    print(gray_tree.render(ctx.read(), datetime.now(UTC), ctx.paint))
    return 0


def cmd_list(ctx: Context) -> int:
    args = ctx.args
    namespace = None if args.all_namespaces else ctx.namespace
    items = gray_cluster.list_raw(namespace)
    if args.output in ("json", "yaml"):
        _dump({"apiVersion": "v1", "kind": "List", "items": items}, args.output)
        return 0
    if not items:
        where = "any namespace" if namespace is None else f"namespace {namespace}"
        print(f"No GrayReleases found in {where}.", file=sys.stderr)
        return 0
    deployments = gray_cluster.release_deployments(namespace)
    print(gray_table.render(items, deployments, datetime.now(UTC), all_namespaces=namespace is None,
                            wide=args.output == "wide", paint=ctx.paint))
    return 0


def _command(action: CommandAction) -> Callable[[Context], int]:
    def run(ctx: Context) -> int:
        chosen = CommandAction.PROMOTE_FULL if action is CommandAction.PROMOTE and ctx.args.full else action
        release = ctx.read()
        gray_actions.check_command(chosen, release)
        pending = release.model.status.command
        if pending is not None:
            by = f" by {pending.requested_by}" if pending.requested_by else ""
            print(f"warning: replacing {pending.action.value}{by}, not handled yet (is the operator running?)",
                  file=sys.stderr)
        gray_cluster.patch_status(ctx.namespace, release.name, gray_actions.command_patch(chosen, ctx.requester()))
        print(f'grayrelease "{release.name}" {chosen.value} requested')
        return 0

    return run


def cmd_undo(ctx: Context) -> int:
    release = ctx.read()
    operations, exact = gray_actions.undo_operations(release)
    gray_cluster.patch_spec(ctx.namespace, release.name, operations)
    stable = release.model.status.stable_revision
    print(f'grayrelease "{release.name}" template set back to stable revision {stable}')
    if not exact:
        print("note: the stable Deployment's template differs from the manifest it came from (server defaults); "
              "the operator may release it as a new revision with the same content", file=sys.stderr)
    return 0


def cmd_set(ctx: Context) -> int:
    release = ctx.read()
    images = gray_actions.parse_image_pairs(ctx.args.images)
    operations = gray_actions.set_image_operations(release, images)
    if not operations:
        print(f'grayrelease "{release.name}" unchanged: the images are already set')
        return 0
    gray_cluster.patch_spec(ctx.namespace, release.name, operations)
    print(f'grayrelease "{release.name}" image updated: ' + ", ".join(f"{c}={i}" for c, i in images.items()))
    return 0


def cmd_status(ctx: Context) -> int:
    return gray_wait.status(ctx.read, timeout=ctx.args.timeout, interval=ctx.args.interval)


def cmd_replay(ctx: Context) -> int:
    """The judge, offline, on what the release's status recorded (``grayrelease replay --from-release``),
    or with ``--prometheus`` on its queries over its whole analysis window (``--from-prometheus`` too)."""
    from grayrelease.analysis import recorded  # noqa: PLC0415 - the judge's scipy only for this command
    from grayrelease.cli import replay  # noqa: PLC0415

    args = ctx.args
    window_flags = {"--stable-revision": args.stable_revision, "--canary-revision": args.canary_revision,
                    "--start": args.start, "--end": args.end}
    if args.prometheus is None and (unused := [flag for flag, value in window_flags.items() if value]):
        raise gray_cluster.CliError(f"{', '.join(unused)}: only with --prometheus (the status keeps its own window)")
    try:
        overrides = replay_release.judge_overrides(args)
        replay_release.check_truth_flags(args)
        release = ctx.read()
        if args.prometheus is not None:
            if args.prometheus and "://" not in args.prometheus:
                raise ValueError(f"--prometheus takes a URL such as http://prometheus:9090, not {args.prometheus!r}")
            if args.prometheus:
                series, metric_series = replay.prometheus_series(args.prometheus), None
            else:
                series, metric_series = _prometheus_of_each_metric(release.model, replay.prometheus_series)
            scenarios = replay_release.from_prometheus(release.model, series, replay.release_window(args), metric_series)
        else:
            scenarios = recorded.scenarios_from_release(release.model)
        if not scenarios:
            raise gray_cluster.CliError(f'grayrelease "{release.name}" has no compare metric with a recorded history yet')
        if args.truth:
            scenarios = replay.labelled(scenarios, args)
        if args.save:
            replay.save(scenarios, args.save)
    except (OSError, ValueError) as error:
        raise gray_cluster.CliError(" ".join(str(error).split())) from error
    replay.report(scenarios, overrides, explain=True, as_json=args.json, jobs=1)
    return 0


def _prometheus_of_each_metric(release: GrayRelease, connect: Callable[[str], replay_release.RangeSeries]
                               ) -> tuple[replay_release.RangeSeries, Callable[[Metric], replay_release.RangeSeries]]:
    """``--prometheus`` without a URL: each compare metric's queries go to the Prometheus it
    names, and the operator's own gauges (weights, ready pods) to the first compare metric's.
    Where that one does not scrape the operator, the status fills in what it kept."""
    addresses = list(dict.fromkeys(m.provider.prometheus.address for m in release.spec.analysis.metrics if m.compare is not None))
    if not addresses:
        raise ValueError("no metric with compare: nothing the judge compares")
    connected = {address: connect(address) for address in addresses}
    return connected[addresses[0]], lambda metric: connected[metric.provider.prometheus.address]


COMMANDS: dict[str, Callable[[Context], int]] = {
    "get": cmd_get,
    "list": cmd_list,
    "ls": cmd_list,
    "promote": _command(CommandAction.PROMOTE),
    "abort": _command(CommandAction.ABORT),
    "retry": _command(CommandAction.RETRY),
    "pause": _command(CommandAction.PAUSE),
    "resume": _command(CommandAction.RESUME),
    "undo": cmd_undo,
    "set": cmd_set,
    "status": cmd_status,
    "replay": cmd_replay,
}


def _complete(args: argparse.Namespace) -> int:
    def names(namespace: str | None) -> list[str]:
        try:
            gray_cluster.connect(args.kubeconfig, args.context)
            ns = namespace or gray_cluster.default_namespace(args.kubeconfig, args.context)
            return sorted(item["metadata"]["name"] for item in gray_cluster.list_raw(ns))
        except Exception:  # noqa: BLE001 - completion must never print an error into the prompt
            return []

    sys.stdout.write(gray_completion.protocol_output(args.words, names))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "version":
        from grayrelease import __version__  # noqa: PLC0415

        print(f"kubectl-gray {__version__}")
        return 0
    if args.command == "completion":
        sys.stdout.write(gray_completion.SCRIPTS[args.shell])
        return 0
    if args.command == "__complete":
        return _complete(args)
    try:
        return COMMANDS[args.command](Context(args))
    except (gray_cluster.CliError, gray_actions.Refused) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
