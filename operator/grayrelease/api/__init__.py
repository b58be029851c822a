"""The GrayRelease API (``grayrelease.io/v1alpha1``): pydantic models, the one source of truth.

``spec`` holds what a team declares, ``status`` all progress state, ``resource`` the resource's
identity, ``durations`` the Go-like duration strings, ``conditions`` Kubernetes-style condition
helpers, and ``crdgen`` turns the models into the CRD in ``crds/``.
"""

from grayrelease.api.durations import format_duration, parse_duration
from grayrelease.api.resource import API_VERSION, GROUP, KIND, PLURAL, VERSION, GrayRelease
from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus

__all__ = [
    "API_VERSION", "GROUP", "KIND", "PLURAL", "VERSION",
    "GrayRelease", "GrayReleaseSpec", "GrayReleaseStatus",
    "format_duration", "parse_duration",
]
