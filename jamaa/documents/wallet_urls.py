from __future__ import annotations

from django.urls import path

from jamaa.documents import wallet_views as views

app_name = "wallet"
# "My documents": the citizen's issued acts, each one's page, its PDF and its QR code full-screen.
urlpatterns: list = [
    path("", views.mine, name="mine"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/pdf/", views.download, name="download"),
    path("<str:reference>/qr/", views.qr, name="qr"),
]
