
app_name = "procedures_admin"
# Back office (administrators): adopt procedures from the national catalogue and set the commune's values.
urlpatterns: list = []
