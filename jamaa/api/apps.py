from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "jamaa.api"
    label = "api"
    verbose_name = "Jamaa API"
