from django.urls import path  # noqa: F401

app_name = "reports"
# Following and the public side: map/, map/data.json, stats/, track/, <reference>/ (+ support/, rate/, reopen/,
# photos/<token>/).
urlpatterns: list = []
