"""The citizen's API tokens page (mounted at accounts/api-tokens/ in the translated page tree)."""

from django.urls import path

from jamaa.api import views

urlpatterns = [path("", views.tokens, name="api_tokens")]
