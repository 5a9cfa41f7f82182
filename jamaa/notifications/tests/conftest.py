"""Fixtures of the notifications tests: a message template of their own, so they do not depend on the templates
that the account flows ship."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings
from django.test import override_settings

TEST_TEMPLATES = {
    "notifications/test_notice.sms.txt": "{% load i18n %}{% translate 'Your code' %}: {{ code }}",
    "notifications/test_notice.email.txt": (
        "{% load i18n %}{{ user.full_name }}\n{% translate 'Your code' %}: {{ code }}\n"
    ),
    "notifications/test_notice.subject.txt": "{% load i18n %}{{ commune.name }}\n  {% translate 'Your code' %}",
}


@pytest.fixture(autouse=True)
def notification_templates():
    templates = copy.deepcopy(settings.TEMPLATES)
    options = templates[0].setdefault("OPTIONS", {})
    templates[0]["APP_DIRS"] = False
    options["loaders"] = [
        ("django.template.loaders.locmem.Loader", TEST_TEMPLATES),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    with override_settings(TEMPLATES=templates):
        yield
