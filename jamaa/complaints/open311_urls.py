"""Open311 GeoReport v2, mounted at /open311/v2/ (no language prefix: the language is a parameter), per commune by
host. Each resource answers in the format of its extension, .json or .xml."""

from django.urls import re_path

from jamaa.complaints import open311_views as views

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.discovery, name="discovery"),
    re_path(r"^services" + FORMAT, views.services, name="services"),
    re_path(r"^services/(?P<service_code>[-\w]{1,60})" + FORMAT, views.service_definition, name="service"),
    re_path(r"^requests" + FORMAT, views.requests, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[-\w]{1,40})" + FORMAT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token_id>[-\w]{1,40})" + FORMAT, views.token, name="token"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not_found"),
]
