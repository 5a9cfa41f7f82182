"""The development outbox page, where a tester reads the verification codes the platform sent."""

from __future__ import annotations

import pytest
from django.test import override_settings

from jamaa.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db

URL = "/dev/outbox/"


def message(commune, body: str, **fields) -> OutboundMessage:
    values = {"channel": "sms", "recipient": "+212612345678", "template": "verification_code", "language": "ar",
              "body": body, "commune": commune}
    values.update(fields)
    return OutboundMessage.objects.create(**values)


@override_settings(DEV_OUTBOX_PAGE=False)
def test_the_page_does_not_exist_when_it_is_off(world, sale_client):
    message(world.sale, "رمز التحقق: 482913")
    response = sale_client.get(URL)
    assert response.status_code == 404
    assert "482913" not in response.content.decode()


@override_settings(DEV_OUTBOX_PAGE=True)
def test_a_tester_reads_the_communes_messages_newest_first(world, sale_client):
    message(world.sale, "رمز التحقق: 111111")
    message(None, "Code: 222222", channel="email", recipient="youssef@example.ma", subject="Votre code",
            language="fr")
    message(world.sale, "رمز التحقق: 333333")
    response = sale_client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("333333") < body.index("222222") < body.index("111111")
    assert "+212612345678" in body
    assert "youssef@example.ma" in body
    assert "Votre code" in body
    assert "verification_code" in body
    assert response["Cache-Control"].startswith("max-age=0")


@override_settings(DEV_OUTBOX_PAGE=True)
def test_another_communes_messages_are_not_listed(world, sale_client, temara_client):
    message(world.temara, "Code Témara: 444444")
    message(world.sale, "Code Salé: 555555")
    assert "444444" not in sale_client.get(URL).content.decode()
    temara_page = temara_client.get(URL).content.decode()
    assert "444444" in temara_page
    assert "555555" not in temara_page


@override_settings(DEV_OUTBOX_PAGE=True)
def test_the_national_host_lists_only_messages_without_a_commune(world, platform_client):
    message(world.sale, "Code Salé: 555555")
    message(None, "Code national: 666666")
    page = platform_client.get(URL).content.decode()
    assert "666666" in page
    assert "555555" not in page


@override_settings(DEV_OUTBOX_PAGE=True)
def test_the_page_is_keyset_paginated(world, sale_client):
    created = [message(world.sale, f"Code {100000 + i}") for i in range(30)]
    first = sale_client.get(URL).content.decode()
    assert "Code 100029" in first
    assert "Code 100005" in first
    assert "Code 100004" not in first
    assert f"?before={created[5].pk}" in first
    second = sale_client.get(URL, {"before": str(created[5].pk)}).content.decode()
    assert "Code 100004" in second
    assert "Code 100000" in second
    assert "Code 100005" not in second
    assert 'rel="next"' not in second


@override_settings(DEV_OUTBOX_PAGE=True)
@pytest.mark.parametrize("before", ["abc", "-3", "1e9", "99999999999999999999999999"])
def test_a_bad_page_marker_shows_the_first_page(world, sale_client, before):
    message(world.sale, "Code 777777")
    response = sale_client.get(URL, {"before": before})
    assert response.status_code == 200
    assert "777777" in response.content.decode()


@override_settings(DEV_OUTBOX_PAGE=True)
def test_the_page_is_empty_before_any_message(world, sale_client):
    response = sale_client.get(URL)
    assert response.status_code == 200
    assert "empty-state" in response.content.decode()


@override_settings(DEV_OUTBOX_PAGE=True)
def test_the_page_reads_the_same_number_of_queries_for_many_messages(world, sale_client,
                                                                     django_assert_max_num_queries):
    message(world.sale, "Code 1")
    sale_client.get(URL)
    with django_assert_max_num_queries(3) as few:
        sale_client.get(URL)
    for i in range(20):
        message(world.sale, f"Code {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        sale_client.get(URL)


@override_settings(DEV_OUTBOX_PAGE=True)
def test_the_page_only_answers_get(world, sale_client):
    assert sale_client.post(URL).status_code == 405
