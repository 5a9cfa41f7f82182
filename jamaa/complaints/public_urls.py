from django.urls import path

from jamaa.complaints import public_views as views

app_name = "reports"
# Following and the public side. The fixed paths come before `<reference>/`, which would otherwise take them.
urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("map/data.json", views.map_data, name="map_data"),
    path("stats/", views.stats, name="stats"),
    path("stats.csv", views.stats_csv, name="stats_csv"),
    path("track/", views.track, name="track"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/support/", views.support, name="support"),
    path("<str:reference>/rate/", views.rate, name="rate"),
    path("<str:reference>/reopen/", views.reopen, name="reopen"),
    path("<str:reference>/photos/<str:token>/", views.photo, name="photo"),
]
