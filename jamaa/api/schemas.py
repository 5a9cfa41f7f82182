"""Schemas shared by the API's routers: the error bodies every endpoint declares."""

from __future__ import annotations

from ninja import Schema


class Error(Schema):
    detail: str


class ValidationErrorOut(Schema):
    """Bad input: a sentence for people and, for programs, the messages by field name (`__all__` for the request as
    a whole; a procedure's answers by field name, its documents as `doc__<code>`)."""

    detail: str
    errors: dict[str, list[str]]


class NamesOut(Schema):
    """A name in the platform's three languages (Tamazight may be empty)."""

    name_ar: str
    name_fr: str
    name_zgh: str


class DepartmentOut(Schema):
    id: int
    code: str
    name_ar: str
    name_fr: str
    name_zgh: str


# Commune endpoints answer 404 on a host that serves no commune, and 422 on malformed parameters.
COMMUNE_ERRORS: dict[int, type[Schema]] = {404: Error, 422: ValidationErrorOut}
# Endpoints for a citizen's own data also answer 401 without a valid token.
CITIZEN_ERRORS: dict[int, type[Schema]] = {401: Error, **COMMUNE_ERRORS}
