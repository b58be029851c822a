"""Following a release over time: ``get --watch`` (redraws the view) and ``status`` (for CI).

Both poll the API once per interval: a person's terminal or one CI job watching one release
costs three GETs a second, and polling sees the Deployments' readiness change too, which a
watch on the GrayRelease alone would not. ``outcome`` is the pure rule both use to know when
a release is done and how it ended.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from grayrelease.api.status import Phase
from grayrelease.cli.gray_resource import Release
from grayrelease.cli.gray_text import FAILED_PHASES, Painter
from grayrelease.cli.gray_tree import in_release, render, step_label

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_TIMEOUT = 2

_NUMBERS = re.compile(r"[0-9]+(\.[0-9]+)?(ms|s|m|h)?")
_FIXED = datetime(2000, 1, 1, tzinfo=UTC)
_HOME, _CLEAR_LINE, _CLEAR_BELOW, _CLEAR_SCREEN = "\x1b[H", "\x1b[K", "\x1b[J", "\x1b[2J"


def outcome(release: Release) -> int | None:
    """The exit code once the release is done (0 Succeeded, 1 rolled back/aborted/degraded), else None.

    A status the operator wrote for an older spec says nothing about the current one, so a
    release is only done once the operator has observed the latest generation.
    """
    if not release.observed:
        return None
    if release.phase == Phase.SUCCEEDED:
        return None if in_release(release) else EXIT_SUCCEEDED
    if release.phase in FAILED_PHASES:
        return EXIT_FAILED
    return None


def progress_line(release: Release) -> str:
    """One line per change, for CI logs: phase, step, weight and the operator's message."""
    status = release.model.status
    line = f"{release.phase}: step {step_label(release)}, canary weight {status.canary_weight}%"
    if release.canary is not None:
        line += f", canary {release.canary.ready}/{release.canary.desired} ready"
    if status.message:
        line += f" - {status.message}"
    return line


def status(read: Callable[[], Release], *, timeout: float | None, interval: float, out: TextIO = sys.stdout,
           clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> int:
    """Prints progress until the release is done; its exit code, or EXIT_TIMEOUT after ``timeout``."""
    deadline = None if not timeout else clock() + timeout
    last = None
    while True:
        release = read()
        line = progress_line(release)
        # A countdown in the message is no news for a CI log; a new step, weight or readiness is.
        key = (line.removesuffix(release.model.status.message), _NUMBERS.sub("#", release.model.status.message))
        if key != last:
            print(line, file=out, flush=True)
            last = key
        code = outcome(release)
        if code is not None:
            verdict = "succeeded" if code == EXIT_SUCCEEDED else f"ended {release.phase}"
            print(f'grayrelease "{release.name}" {verdict}', file=out, flush=True)
            return code
        if deadline is not None and clock() >= deadline:
            print(f'timed out waiting for grayrelease "{release.name}" (still {release.phase})', file=out, flush=True)
            return EXIT_TIMEOUT
        sleep(interval if deadline is None else max(0.0, min(interval, deadline - clock())))


def watch(read: Callable[[], Release], *, until_done: bool, interval: float, paint: Painter,
          out: TextIO = sys.stdout, sleep: Callable[[float], None] = time.sleep) -> int:
    """Redraws the ``get`` view in place until Ctrl-C (or the end of the release with ``until_done``).

    On a terminal the frame is redrawn from the top left; in a pipe each changed frame is
    printed once, separated by a blank line, so logs stay readable.
    """
    tty = bool(getattr(out, "isatty", lambda: False)())
    previous = None  # the last frame drawn, rendered at a fixed time so ticking ages are no change
    first = True
    try:
        while True:
            release = read()
            frame = render(release, datetime.now(UTC), paint)
            key = render(release, _FIXED, paint)
            if tty:
                prefix = (_CLEAR_SCREEN if first else "") + _HOME
                body = "\n".join(line + _CLEAR_LINE for line in frame.split("\n"))
                out.write(prefix + body + "\n" + _CLEAR_BELOW)
                out.flush()
            elif key != previous:
                out.write(("" if first else "\n") + frame + "\n")
                out.flush()
            previous, first = key, False
            code = outcome(release)
            if until_done and code is not None:
                return code
            sleep(interval)
    except KeyboardInterrupt:
        return 0
