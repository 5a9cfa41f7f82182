from django.urls import path

from jamaa.core.backoffice import calendar_views, views

app_name = "backoffice"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("departments/", views.departments, name="departments"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/", views.department_edit, name="department_edit"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("audit/", views.audit_log, name="audit"),
    path("calendar/", calendar_views.calendar, name="calendar"),
    path("overview/", views.overview, name="overview"),
]
