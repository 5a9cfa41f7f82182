from django.urls import path

from jamaa.complaints import filing_views as views

app_name = "complaints"
# Filing a complaint (the filing pages): the start page, the form per kind, the fragments the form asks for while the
# citizen types (suggest/, questions/, nearby/, contact/), and the receipt right after filing.
urlpatterns = [
    path("", views.start, name="start"),
    path("new/<str:kind>/", views.new, name="new"),
    path("suggest/", views.suggest, name="suggest"),
    path("questions/", views.questions, name="questions"),
    path("nearby/", views.nearby, name="nearby"),
    path("contact/", views.contact, name="contact"),
    path("filed/<str:reference>/", views.filed, name="filed"),
]
