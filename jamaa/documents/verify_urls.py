from __future__ import annotations

from django.urls import path

from jamaa.documents import verify_views

app_name = "verify"
urlpatterns = [
    path("", verify_views.index, name="index"),
    path("code/", verify_views.check_text, name="check_text"),
    path("file/", verify_views.check_pdf, name="check_pdf"),
    path("<str:payload_text>/", verify_views.by_code, name="by_code"),
]
