from django.urls import path

from jamaa.api.api import api

urlpatterns = [path("", api.urls)]
