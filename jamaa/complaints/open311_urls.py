from django.urls import path  # noqa: F401

app_name = "open311"
# Open311 GeoReport v2: discovery, services, services/<code>, requests, requests/<id>, tokens/<id> (.json or .xml).
urlpatterns: list = []
