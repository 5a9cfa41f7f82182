from django.urls import path  # noqa: F401

app_name = "complaints_staff"
# Back office: the list with filters, the map, a complaint and its moves, merging, categories, answer templates,
# Open311 keys.
urlpatterns: list = []
