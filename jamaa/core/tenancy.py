"""Tenancy: which commune a piece of code is working for.

The middleware activates the commune resolved from the Host header for the whole request. Commune-owned
models use `CommuneScopedManager` as their default manager: it filters on the active commune and refuses
to run when no scope is active, so forgetting the scope is an error instead of a leak. Crossing communes is
explicit: `unscoped()` (platform operators, tasks that sweep every commune, tests) or `Model.all_communes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models

if TYPE_CHECKING:
    from jamaa.core.models import Commune


class ScopeError(RuntimeError):
    """A commune-owned model was queried outside of any commune scope."""


class _Unscoped:
    def __repr__(self) -> str:
        return "<unscoped>"


UNSCOPED = _Unscoped()
_NOT_SET = object()

# None means "the national landing page": no commune, so scoped queries return nothing.
_current: ContextVar[Any] = ContextVar("jamaa_commune_scope", default=_NOT_SET)


def get_current_commune() -> Commune | None:
    value = _current.get()
    if value is _NOT_SET or value is UNSCOPED:
        return None
    return value


@contextmanager
def scope(commune: Commune | None) -> Iterator[None]:
    token = _current.set(commune)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def unscoped() -> Iterator[None]:
    token = _current.set(UNSCOPED)
    try:
        yield
    finally:
        _current.reset(token)


M = TypeVar("M", bound=models.Model)


class CommuneQuerySet(models.QuerySet[M], Generic[M]):  # noqa: UP046 - Django stubs want the TypeVar form
    def for_commune(self, commune: Commune) -> CommuneQuerySet[M]:
        return self.filter(commune=commune)


class CommuneScopedManager(models.Manager.from_queryset(CommuneQuerySet)):  # type: ignore[misc]
    """Default manager of commune-owned models: only the active commune's rows.

    A model with its own QuerySet subclass uses `CommuneScopedManager.from_queryset(ItsQuerySet)`, so that the
    queryset's methods are available on the manager too."""

    def get_queryset(self) -> CommuneQuerySet[M]:
        qs = super().get_queryset()
        value = _current.get()
        if value is UNSCOPED:
            return qs
        if value is _NOT_SET:
            raise ScopeError(
                f"{self.model.__name__} is commune-owned: query it inside tenancy.scope(commune) "
                "or tenancy.unscoped()."
            )
        if value is None:
            return qs.none()
        return qs.filter(commune=value)

    def none(self) -> CommuneQuerySet[M]:
        # An empty queryset leaks nothing, so it needs no scope (form fields declared at import time use it).
        return super().get_queryset().none()


class AllCommunesManager(models.Manager.from_queryset(CommuneQuerySet)):  # type: ignore[misc]
    """Explicit cross-commune access (platform operators, sweeps across communes)."""
