from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "jamaa.documents"
    label = "documents"
    verbose_name = "Jamaa documents"
