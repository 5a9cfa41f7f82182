import pytest


@pytest.mark.django_db
def test_landing_page_lists_the_communes(world, platform_client):
    response = platform_client.get("/")
    assert response.status_code == 200
    assert "سلا" in response.content.decode()


def test_commune_home_is_arabic_rtl(world, sale_client):
    response = sale_client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'lang="ar" dir="rtl"' in body


def test_api_refuses_another_communes_department(world, sale_client):
    response = sale_client.get(f"/api/v1/departments/{world.temara_etat_civil.pk}")
    assert response.status_code == 404
    ok = sale_client.get(f"/api/v1/departments/{world.sale_etat_civil.pk}")
    assert ok.status_code == 200
