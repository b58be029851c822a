"""Webhook inspections: POST the release's identity to a URL; a 2xx answer passes.

The call is made once per inspection name (the engine's id for this release attempt and
step) and its result kept in status, so a restart does not call it again once it answered.
Timeouts, connection errors and non-2xx answers fail the inspection with the reason.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def call(url: str, payload: dict[str, object], headers: dict[str, str] | None, timeout: float) -> tuple[str, str]:
    """(phase, message): Succeeded on 2xx, Failed otherwise."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
            body = response.read(512).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return "Failed", f"webhook answered {error.code}: {error.read(256).decode(errors='replace')}".strip()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return "Failed", f"webhook call failed: {error}"
    if 200 <= status < 300:
        return "Succeeded", f"webhook answered {status}"
    return "Failed", f"webhook answered {status}: {body}".strip()
