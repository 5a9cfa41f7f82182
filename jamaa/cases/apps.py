from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "jamaa.cases"
    label = "cases"
    verbose_name = "Jamaa cases"
