
app_name = "staff"
# Back office: the queue, a case, transitions, notes, messages, assignment, reason templates.
urlpatterns: list = []
