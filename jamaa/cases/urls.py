from django.urls import path

from jamaa.cases import views

app_name = "cases"
# Citizen pages: start a request, drafts, "my requests", a case, completion, withdrawal, messages, receipt,
# rating, attachments; following a case with its reference and secret code.
urlpatterns = [
    path("procedures/<slug:slug>/request/", views.start, name="start"),
    path("requests/", views.mine, name="mine"),
    path("requests/drafts/<int:pk>/", views.draft, name="draft"),
    path("requests/<str:reference>/", views.detail, name="detail"),
    path("requests/<str:reference>/complete/", views.complete, name="complete"),
    path("requests/<str:reference>/withdraw/", views.withdraw, name="withdraw"),
    path("requests/<str:reference>/message/", views.message, name="message"),
    path("requests/<str:reference>/rate/", views.rate, name="rate"),
    path("requests/<str:reference>/receipt/", views.receipt, name="receipt"),
    path("requests/<str:reference>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("requests/<str:reference>/files/<str:token>/", views.attachment, name="attachment"),
    path("track/", views.track, name="track"),
    path("track/<str:reference>/", views.tracked, name="tracked"),
]
