from django.urls import path

from jamaa.catalog import backoffice_views as views

app_name = "procedures_admin"
# Back office (administrators): adopt procedures from the national catalogue and set the commune's values.
urlpatterns = [
    path("", views.index, name="index"),
    path("adopt/<slug:slug>/", views.adopt, name="adopt"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/publication/", views.publication, name="publication"),
]
