from django.urls import reverse


def test_a_deactivated_account_loses_its_open_session(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    assert sale_client.get(reverse("accounts:profile")).status_code == 200

    type(world.citizen_sale).objects.filter(pk=world.citizen_sale.pk).update(is_active=False)

    response = sale_client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
