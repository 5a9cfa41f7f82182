from __future__ import annotations

from django.urls import path

from jamaa.documents import staff_views as views

app_name = "documents_staff"
# Back office: an issued document's PDF and its revocation (listed on the staff case page).
urlpatterns: list = [
    path("<str:reference>/pdf/", views.download, name="download"),
    path("<str:reference>/revoke/", views.revoke, name="revoke"),
]
