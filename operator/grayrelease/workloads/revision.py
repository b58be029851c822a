"""Revision identity of a pod template: a short, stable hash of what the pods would run.

Two templates that differ only in key order or in labels the operator adds itself hash the
same, so re-applying an unchanged manifest never starts a release.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from grayrelease import labels


def template_revision(template: dict[str, Any]) -> str:
    """10 hex characters of SHA-256 over the canonical JSON of the template (operator labels removed)."""
    clean = json.loads(json.dumps(template))
    pod_labels = clean.get("metadata", {}).get("labels", {})
    for key in labels.OPERATOR_LABELS:
        pod_labels.pop(key, None)
    canonical = json.dumps(clean, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:10]
