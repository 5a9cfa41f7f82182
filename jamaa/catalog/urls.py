
app_name = "catalog"
# Public pages: index (by category and life event, ?q= search) and one page per adopted procedure.
urlpatterns: list = []
