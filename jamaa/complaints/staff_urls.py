from django.urls import path

from jamaa.complaints import staff_views as views

app_name = "complaints_staff"
# Back office: the list with filters, the map, a complaint and its moves, merging, categories, answer templates,
# Open311 keys. Fixed paths first: a complaint is at its reference.
urlpatterns: list = [
    path("", views.complaint_list, name="list"),
    path("map/", views.complaint_map, name="map"),
    path("map/data.json", views.map_data, name="map_data"),
    path("categories/", views.categories, name="categories"),
    path("categories/install/", views.categories_install, name="categories_install"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/<int:pk>/", views.category_edit, name="category"),
    path("categories/<int:parent_pk>/new/", views.category_create, name="subcategory_create"),
    path("categories/<int:pk>/routing/", views.category_routing, name="category_routing"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("open311-keys/", views.open311_keys, name="open311_keys"),
    path("open311-keys/<int:pk>/revoke/", views.open311_key_revoke, name="open311_key_revoke"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/move/", views.move, name="move"),
    path("<str:reference>/note/", views.note, name="note"),
    path("<str:reference>/reroute/", views.reroute, name="reroute"),
    path("<str:reference>/merge/", views.merge, name="merge"),
    path("<str:reference>/photos/<int:pk>/", views.photo, name="photo"),
    path("<str:reference>/photos/<int:pk>/visibility/", views.photo_visibility, name="photo_visibility"),
]
