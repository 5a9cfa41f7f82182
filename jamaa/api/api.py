"""The public HTTP API (django-ninja). OpenAPI 3 schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Schema

from jamaa.core.models import Arrondissement, Commune, Department

api = NinjaAPI(
    title="Jamaa API",
    version="1",
    description="Public API of a commune on the Jamaa platform. The commune is the one named by the Host header.",
    urls_namespace="api",
)


class ArrondissementOut(Schema):
    id: int
    slug: str
    name_ar: str
    name_fr: str
    name_zgh: str


class CommuneOut(Schema):
    slug: str
    name_ar: str
    name_fr: str
    name_zgh: str
    url: str


class DepartmentOut(Schema):
    id: int
    code: str
    name_ar: str
    name_fr: str
    name_zgh: str


class Error(Schema):
    detail: str


class ValidationErrorOut(Schema):
    """Ninja's answer to a malformed parameter (for example a non-numeric id)."""

    detail: list[dict[str, object]]


# Commune endpoints answer 404 on a host that serves no commune, and 422 on malformed parameters.
COMMUNE_ERRORS: dict[int, type[Schema]] = {404: Error, 422: ValidationErrorOut}


def _commune(request: HttpRequest) -> Commune:
    commune = getattr(request, "commune", None)
    if commune is None:
        raise Http404("No commune is served at this host.")
    return commune


@api.get("/communes", response=list[CommuneOut], tags=["communes"], summary="Communes on the platform")
def list_communes(request: HttpRequest) -> list[CommuneOut]:
    return [
        CommuneOut(slug=c.slug, name_ar=c.name_ar, name_fr=c.name_fr, name_zgh=c.name_zgh, url=c.absolute_url())
        for c in Commune.objects.filter(is_active=True).prefetch_related("hosts")
    ]


@api.get("/arrondissements", response={200: list[ArrondissementOut], 404: Error}, tags=["commune"])
def list_arrondissements(request: HttpRequest) -> list[Arrondissement]:
    _commune(request)
    return list(Arrondissement.objects.all())


@api.get("/arrondissements/{arrondissement_id}", response={200: ArrondissementOut, **COMMUNE_ERRORS}, tags=["commune"])
def get_arrondissement(request: HttpRequest, arrondissement_id: int) -> Arrondissement:
    _commune(request)
    try:
        return Arrondissement.objects.get(pk=arrondissement_id)
    except Arrondissement.DoesNotExist:
        raise Http404("No such arrondissement in this commune.") from None


@api.get("/departments", response={200: list[DepartmentOut], 404: Error}, tags=["commune"])
def list_departments(request: HttpRequest) -> list[Department]:
    _commune(request)
    return list(Department.objects.filter(is_active=True))


@api.get("/departments/{department_id}", response={200: DepartmentOut, **COMMUNE_ERRORS}, tags=["commune"])
def get_department(request: HttpRequest, department_id: int) -> Department:
    _commune(request)
    try:
        return Department.objects.get(pk=department_id, is_active=True)
    except Department.DoesNotExist:
        raise Http404("No such department in this commune.") from None
