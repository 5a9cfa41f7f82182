
app_name = "cases"
# Citizen pages: start a request, drafts, "my requests", a case, completion, withdrawal, messages, receipt,
# rating, attachments; following a case with its reference and secret code.
urlpatterns: list = []
