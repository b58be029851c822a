"""The base class of every API model: camelCase on the wire, snake_case in Python.

Models are the single source of truth for the resource: ``crdgen`` turns them into the CRD's
OpenAPI schema, and the controller parses and writes resources through them. Serialise with
``to_dict()`` (aliases, no ``None`` values) so what goes to the API server matches the schema.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Strict about unknown fields (a typo in a manifest is an error, as with the API server)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        validate_assignment=False,
    )

    def to_dict(self) -> dict[str, Any]:
        """The resource's JSON form: camelCase keys, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Self:
        return cls.model_validate(data or {})


class OpenModel(Model):
    """A model that keeps fields it does not know (the CRD preserves them too)."""

    model_config = ConfigDict(extra="allow")
