"""The public HTTP API (django-ninja). OpenAPI 3 schema at /api/v1/openapi.json, docs at /api/v1/docs.

Every endpoint but the list of communes answers for the commune named by the Host header (404 on the national
landing host). The catalogue is public; a citizen's own cases need `Authorization: Bearer <token>` (tokens from
POST /auth/token or the account page). Errors are JSON: {detail} and, for bad input (422), {detail, errors}."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from jamaa.api import auth, cases, catalog
from jamaa.api.common import ALL_FIELDS, InvalidInput, ninja_errors, request_commune
from jamaa.api.schemas import COMMUNE_ERRORS, DepartmentOut, Error, NamesOut
from jamaa.core.models import Arrondissement, Commune, Department

api = NinjaAPI(
    title="Jamaa API",
    version="1",
    description=__doc__ or "",
    urls_namespace="api",
)


@api.exception_handler(InvalidInput)
def invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return api.create_response(request, exc.body(), status=422)


@api.exception_handler(ValidationError)
def invalid_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return invalid_input(request, InvalidInput(ninja_errors(exc.errors)))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # Ninja's "Cannot parse request body": bad input like any other, with the same body.
        return invalid_input(request, InvalidInput.field(ALL_FIELDS, _("The body could not be read: send JSON.")))
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": _("Send a valid API token: Authorization: Bearer <token>.")}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="jamaa"'
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or _("Not found.")}, status=404)


class ArrondissementOut(NamesOut):
    id: int
    slug: str


class CommuneOut(NamesOut):
    slug: str
    url: str


@api.get("/communes", response=list[CommuneOut], tags=["communes"], summary="Communes on the platform")
def list_communes(request: HttpRequest) -> list[CommuneOut]:
    return [
        CommuneOut(slug=c.slug, name_ar=c.name_ar, name_fr=c.name_fr, name_zgh=c.name_zgh, url=c.absolute_url())
        for c in Commune.objects.filter(is_active=True).prefetch_related("hosts")
    ]


@api.get("/arrondissements", response={200: list[ArrondissementOut], 404: Error}, tags=["commune"])
def list_arrondissements(request: HttpRequest) -> list[Arrondissement]:
    request_commune(request)
    return list(Arrondissement.objects.all())


@api.get("/arrondissements/{arrondissement_id}", response={200: ArrondissementOut, **COMMUNE_ERRORS}, tags=["commune"])
def get_arrondissement(request: HttpRequest, arrondissement_id: int) -> Arrondissement:
    request_commune(request)
    try:
        return Arrondissement.objects.get(pk=arrondissement_id)
    except Arrondissement.DoesNotExist:
        raise Http404(_("No such arrondissement in this commune.")) from None


@api.get("/departments", response={200: list[DepartmentOut], 404: Error}, tags=["commune"])
def list_departments(request: HttpRequest) -> list[Department]:
    request_commune(request)
    return list(Department.objects.filter(is_active=True))


@api.get("/departments/{department_id}", response={200: DepartmentOut, **COMMUNE_ERRORS}, tags=["commune"])
def get_department(request: HttpRequest, department_id: int) -> Department:
    request_commune(request)
    try:
        return Department.objects.get(pk=department_id, is_active=True)
    except Department.DoesNotExist:
        raise Http404(_("No such department in this commune.")) from None


api.add_router("", catalog.router)
api.add_router("", auth.router)
api.add_router("", cases.router)
api.add_router("", "jamaa.api.documents.router")  # verifying a document (public, limited per address)
