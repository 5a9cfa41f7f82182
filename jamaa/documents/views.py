from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from jamaa.documents.services import trust_list


@require_safe
def trust_list_json(request: HttpRequest) -> HttpResponse:
    """The public trust list, the same on every host (verifiers fetch it from any commune or the platform)."""
    response = HttpResponse(trust_list().to_json(), content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
