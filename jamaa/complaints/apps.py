from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "jamaa.complaints"
    label = "complaints"
    verbose_name = "Complaints"
