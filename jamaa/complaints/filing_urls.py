from django.urls import path  # noqa: F401

app_name = "complaints"
# Filing a complaint (owned by the filing pages): start, new/<kind>/, suggest/, nearby/, contact/, filed/<reference>/.
urlpatterns: list = []
