from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "jamaa.catalog"
    label = "catalog"
    verbose_name = "Jamaa catalogue"
