import os

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from jamaa.core import views as core_views
from jamaa.documents import views as document_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path(".well-known/jamaa/trust-list.json", document_views.trust_list_json, name="trust_list"),
    path("V/", include("jamaa.documents.qr_urls")),  # what a document's QR opens; language from cookie/browser
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("commune-logo/<slug:slug>", core_views.commune_logo, name="commune_logo"),
    path("api/v1/", include("jamaa.api.urls")),
    path("open311/v2/", include("jamaa.complaints.open311_urls")),
    path("admin/", admin.site.urls),
]

# bench/run.py only: a do-nothing view to compare the pages with (absent unless the benchmark asks for it).
if os.environ.get("JAMAA_BENCH") == "1":
    urlpatterns.append(path("", include("bench.bare")))

urlpatterns += i18n_patterns(
    path("", core_views.home, name="home"),
    path("accounts/", include("jamaa.core.accounts.urls")),
    path("accounts/api-tokens/", include("jamaa.api.page_urls")),
    path("procedures/", include("jamaa.catalog.urls")),
    path("", include("jamaa.cases.urls")),
    path("backoffice/cases/", include("jamaa.cases.staff_urls")),
    path("backoffice/documents/", include("jamaa.documents.staff_urls")),
    path("verify/", include("jamaa.documents.verify_urls")),
    path("documents/", include("jamaa.documents.wallet_urls")),
    path("complaints/", include("jamaa.complaints.filing_urls")),
    path("complaints/", include("jamaa.complaints.public_urls")),
    path("backoffice/complaints/", include("jamaa.complaints.staff_urls")),
    path("backoffice/procedures/", include("jamaa.catalog.backoffice_urls")),
    path("backoffice/", include("jamaa.core.backoffice.urls")),
    path("dev/outbox/", include("jamaa.notifications.urls")),
    prefix_default_language=False,
)

handler400 = "jamaa.core.views.bad_request"
handler403 = "jamaa.core.views.permission_denied"
handler404 = "jamaa.core.views.page_not_found"
handler500 = "jamaa.core.views.server_error"
