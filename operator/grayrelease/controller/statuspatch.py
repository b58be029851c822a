"""The one status write of a reconcile: a JSON merge patch of only what changed.

Keys that disappeared are sent as null (merge patch deletes them). When the patch clears a
command written by ``kubectl gray``, it carries the resourceVersion that was read, so a newer
command written meanwhile makes the patch fail (and the next reconcile handle it) instead of
being erased.
"""

from __future__ import annotations

from typing import Any


def merge_diff(old: Any, new: Any) -> Any:
    """RFC 7386 patch turning ``old`` into ``new``; ``None`` return means no change (for dicts: {})."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: dict[str, Any] = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            if isinstance(old[key], dict) and isinstance(value, dict):
                patch[key] = merge_diff(old[key], value)
            else:
                patch[key] = value
    return patch


def status_patch(body: dict[str, Any], new_status: dict[str, Any]) -> dict[str, Any] | None:
    old_status = body.get("status") or {}
    diff = merge_diff(old_status, new_status)
    if not diff:
        return None
    patch: dict[str, Any] = {"status": diff}
    if old_status.get("command") and not new_status.get("command"):
        patch["metadata"] = {"resourceVersion": body["metadata"]["resourceVersion"]}
    return patch
