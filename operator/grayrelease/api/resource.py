"""The ``GrayRelease`` resource as a whole, and its identity (group, version, names)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from grayrelease.api.base import Model
from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus

GROUP = "grayrelease.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "GrayRelease"
PLURAL = "grayreleases"
SINGULAR = "grayrelease"
SHORT_NAMES = ("gr",)
CRD_NAME = f"{PLURAL}.{GROUP}"


class GrayRelease(Model):
    model_config = {"extra": "ignore"}

    api_version: Literal["grayrelease.io/v1alpha1"] = Field(API_VERSION, alias="apiVersion")
    kind: Literal["GrayRelease"] = KIND
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: GrayReleaseSpec
    status: GrayReleaseStatus = Field(default_factory=GrayReleaseStatus)
