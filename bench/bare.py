"""The floor the pages are compared with: a Django view that does nothing, behind the full middleware stack.

Routed only when JAMAA_BENCH=1 is in the environment (`bench/run.py` sets it for the server it starts): it does not
exist in a normal deployment.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare, name="bench_bare")]
