from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jamaa.core"
    label = "core"
    verbose_name = "Jamaa core"
