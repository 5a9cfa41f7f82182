from django.urls import path

from jamaa.catalog import views

app_name = "catalog"
# Public pages: index (by category and life event, ?q= search) and one page per adopted procedure.
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.detail, name="detail"),
]
