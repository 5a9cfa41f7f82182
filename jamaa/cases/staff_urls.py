from django.urls import path

from jamaa.cases import staff_views as views

app_name = "staff"
# Back office: the queue, a case, transitions, notes, messages, assignment, reason templates.
urlpatterns: list = [
    path("", views.queue_view, name="queue"),
    path("assign/", views.bulk_assign, name="bulk_assign"),
    path("counter/", views.counter, name="counter"),
    path("reasons/", views.reasons, name="reasons"),
    path("reasons/new/", views.reason_create, name="reason_create"),
    path("reasons/<int:pk>/", views.reason_edit, name="reason_edit"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/transition/", views.transition, name="transition"),
    path("<str:reference>/note/", views.note, name="note"),
    path("<str:reference>/message/", views.message, name="message"),
    path("<str:reference>/assign/", views.assign, name="assign"),
    path("<str:reference>/files/<str:token>/", views.attachment, name="attachment"),
    path("<str:reference>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
]
