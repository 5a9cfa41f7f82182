"""Helpers shared by the API's routers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from jamaa.core.models import Commune, Department

ALL_FIELDS = "__all__"


def request_commune(request: HttpRequest) -> Commune:
    """The commune of the Host header; 404 on the national landing host."""
    commune = getattr(request, "commune", None)
    if commune is None:
        raise Http404(_("No commune is served at this host."))
    return commune


def names(obj: Any, field: str = "name") -> dict[str, str]:
    return {f"{field}_{language}": getattr(obj, f"{field}_{language}") or "" for language in ("ar", "fr", "zgh")}


def department_out(department: Department) -> dict[str, Any]:
    return {"id": department.pk, "code": department.code, **names(department)}


class InvalidInput(Exception):
    """Bad input: answered 422 with {detail, errors: {field: [messages]}}."""

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None) -> None:
        super().__init__(detail)
        self.errors = errors
        self.detail = detail

    @classmethod
    def field(cls, name: str, message: str) -> InvalidInput:
        return cls({name: [message]})

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> InvalidInput:
        if hasattr(exc, "error_dict"):
            return cls({name: [str(m) for m in messages] for name, messages in exc.message_dict.items()})
        return cls({ALL_FIELDS: [str(m) for m in exc.messages]})

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail or _("Some of what was sent is not valid: see the errors by field."),
                "errors": self.errors}


def ninja_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Ninja's (pydantic's) parameter errors, by parameter name: ["query", "limit"] -> "limit"; a body field
    ["body", "payload", "username"] -> "username"."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        parts = loc[1:]
        if loc[:1] == ["body"] and len(parts) > 1:
            parts = parts[1:]
        out.setdefault(".".join(parts) or ALL_FIELDS, []).append(str(error.get("msg", "")))
    return out
