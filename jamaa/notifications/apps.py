from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jamaa.notifications"
    label = "notifications"
    verbose_name = "Notifications"
