"""The ``grayrelease`` command: run the operator, replay scenarios, generate CRDs.

Each subcommand lives in its own module and is imported only when chosen, so that
``grayrelease replay`` starts without loading kopf and ``grayrelease run`` without scipy.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, help). Each module exposes ``add_arguments(parser)`` and ``run(args) -> int``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("grayrelease.cli.run", "run the operator"),
    "replay": ("grayrelease.cli.replay", "judge recorded or generated release scenarios offline"),
    "crds": ("grayrelease.api.crdgen", "write the CustomResourceDefinitions generated from the API models"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grayrelease", description="Progressive delivery operator for Kubernetes.")
    from grayrelease import __version__

    parser.add_argument("--version", action="version", version=f"grayrelease {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    chosen = (argv if argv is not None else sys.argv[1:])[:1]
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text)
        if chosen == [name]:
            importlib.import_module(module_name).add_arguments(sp)
    args = parser.parse_args(argv)
    module = importlib.import_module(SUBCOMMANDS[args.command][0])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
