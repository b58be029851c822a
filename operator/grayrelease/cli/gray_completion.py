"""Shell completion for ``kubectl gray`` and ``kubectl-gray``: one candidate engine, thin shell glue.

The shells ask ``kubectl-gray __complete WORDS...`` for candidates, and so does kubectl itself
(1.26+) through a ``kubectl_complete-gray`` executable on PATH, with the same protocol as
cobra's: candidates one per line, then ``:<directive>`` (4: do not complete file names).
Release names come from the cluster; a slow or unreachable cluster gives no names, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

from grayrelease.api.compare import RatePer

NO_FILE_COMPLETION = 4

COMMANDS: dict[str, str] = {
    "get": "show a release as a tree (--watch to follow it)",
    "list": "list releases (-A: all namespaces)",
    "promote": "complete the current step, or --full: skip the remaining steps",
    "abort": "roll back to stable now",
    "retry": "release a rolled-back or aborted revision again from step 1",
    "pause": "pause the release",
    "resume": "resume a paused release",
    "undo": "set spec.template back to the stable revision's",
    "set": "change the release: set image NAME CONTAINER=IMAGE",
    "status": "wait until the release is done; exit 0 succeeded, 1 failed, 2 timed out",
    "replay": "judge the release's recorded analysis again (--confidence, --max-degradation, --per, --prometheus, "
              "--truth, --save)",
    "completion": "print a shell completion script: bash, zsh or kubectl-plugin",
    "version": "print the version",
}
TAKES_NAME = frozenset({"get", "promote", "abort", "retry", "pause", "resume", "undo", "status", "replay"})
FLAG_VALUES: dict[str, tuple[str, ...]] = {"-o": ("json", "yaml", "wide"), "--output": ("json", "yaml", "wide"),
                                           "--per": get_args(RatePer), "--truth": ("good", "bad")}
VALUE_FLAGS = frozenset({"-n", "--namespace", "--context", "--kubeconfig", "-o", "--output", "--timeout", "--interval",
                         "--confidence", "--max-degradation", "--per", "--prometheus", "--stable-revision",
                         "--canary-revision", "--start", "--end", "--save", "--truth", "--onset", "--truth-note"})
SHELLS = ("bash", "zsh", "kubectl-plugin")


def _namespace(words: list[str]) -> str | None:
    for flag, value in zip(words, words[1:], strict=False):
        if flag in ("-n", "--namespace"):
            return value
    for word in words:
        if word.startswith("--namespace="):
            return word.split("=", 1)[1]
    return None


def candidates(words: list[str], release_names: Callable[[str | None], list[str]]) -> list[str]:
    """Candidates for the last of ``words`` (the word being typed, maybe empty)."""
    current, before = (words[-1], words[:-1]) if words else ("", [])
    if before and before[-1] in FLAG_VALUES:
        return [v for v in FLAG_VALUES[before[-1]] if v.startswith(current)]
    if before and before[-1] in VALUE_FLAGS:
        return []
    positional = [w for i, w in enumerate(before) if not w.startswith("-") and (i == 0 or before[i - 1] not in VALUE_FLAGS)]
    if not positional:
        return [c for c in COMMANDS if c.startswith(current)]
    command = positional[0]
    if command == "completion" and len(positional) == 1:
        return [s for s in SHELLS if s.startswith(current)]
    if command == "set" and len(positional) == 1:
        return [s for s in ("image",) if s.startswith(current)]
    wants_name = (command in TAKES_NAME and len(positional) == 1) or (command == "set" and len(positional) == 2)
    if wants_name and not current.startswith("-"):
        return [n for n in release_names(_namespace(before)) if n.startswith(current)]
    return []


def protocol_output(words: list[str], release_names: Callable[[str | None], list[str]]) -> str:
    return "\n".join([*candidates(words, release_names), f":{NO_FILE_COMPLETION}"]) + "\n"


BASH = """\
# bash completion for kubectl-gray; load it with: source <(kubectl-gray completion bash)
_kubectl_gray() {
    local IFS=$'\\n'
    COMPREPLY=( $(kubectl-gray __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null | grep -v '^:') )
}
complete -F _kubectl_gray kubectl-gray
"""

ZSH = """\
#compdef kubectl-gray
# zsh completion for kubectl-gray; load it with: source <(kubectl-gray completion zsh)
_kubectl_gray() {
    local -a candidates
    candidates=("${(@f)$(kubectl-gray __complete "${(@)words[2,CURRENT]}" 2>/dev/null | grep -v '^:')}")
    compadd -a candidates
}
compdef _kubectl_gray kubectl-gray
"""

KUBECTL_PLUGIN = """\
#!/bin/sh
# kubectl (1.26+) completes `kubectl gray ...` by running this file; save it as
# kubectl_complete-gray somewhere on PATH and make it executable.
exec kubectl-gray __complete "$@"
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "kubectl-plugin": KUBECTL_PLUGIN}
