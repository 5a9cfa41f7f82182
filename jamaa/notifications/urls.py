from django.urls import path

from jamaa.notifications import views

app_name = "dev_outbox"
urlpatterns = [path("", views.outbox, name="list")]
