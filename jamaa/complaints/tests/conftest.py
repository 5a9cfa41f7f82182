"""The complaints world: the root `world` plus each commune's default categories (and their departments), outlines
for Salé (five arrondissements as strips from west to east) and Témara, and handy points inside and outside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from jamaa.complaints.defaults import categories_install_defaults
from jamaa.complaints.models import Category
from jamaa.complaints.services import area_set
from jamaa.core import tenancy
from jamaa.core.models import Arrondissement, Department, Membership, Role

SALE_BOX = (33.98, -6.86, 34.10, -6.72)  # min_lat, min_lon, max_lat, max_lon
TEMARA_BOX = (33.88, -6.96, 33.96, -6.87)


def rectangle(min_lat: float, min_lon: float, max_lat: float, max_lon: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat],
                                                [min_lon, max_lat], [min_lon, min_lat]]]}


@dataclass
class ComplaintsWorld:
    w: Any  # the root world
    sale_categories: dict[str, Category]
    temara_categories: dict[str, Category]
    sale_hygiene: Department
    sale_voirie: Department
    sale_relations: Department
    hygiene_agent: Any  # an agent of Salé's hygiene department
    # (lat, lon) points
    sale_point: tuple[float, float]  # in Salé, arrondissement Bab Lamrissa (the westmost strip)
    sale_east_point: tuple[float, float]  # in Salé, arrondissement Tabriquet (the eastmost strip)
    temara_point: tuple[float, float]
    outside_point: tuple[float, float]  # in the sea, in no commune

    def category(self, code: str, commune: str = "sale") -> Category:
        return (self.sale_categories if commune == "sale" else self.temara_categories)[code]


@pytest.fixture
def cworld(world: Any) -> ComplaintsWorld:
    from conftest import _staff, _user

    with tenancy.unscoped():
        for commune in (world.sale, world.temara):
            categories_install_defaults(commune=commune)
        area_set(commune=world.sale, geometry=rectangle(*SALE_BOX))
        area_set(commune=world.temara, geometry=rectangle(*TEMARA_BOX))
        arrondissements = list(Arrondissement.all_communes.filter(commune=world.sale).order_by("position"))
        min_lat, min_lon, max_lat, max_lon = SALE_BOX
        width = (max_lon - min_lon) / len(arrondissements)
        for i, arrondissement in enumerate(arrondissements):
            area_set(commune=world.sale, arrondissement=arrondissement,
                     geometry=rectangle(min_lat, min_lon + i * width, max_lat, min_lon + (i + 1) * width))
        sale_categories = {c.code: c for c in Category.all_communes.filter(commune=world.sale)}
        temara_categories = {c.code: c for c in Category.all_communes.filter(commune=world.temara)}
        hygiene = Department.all_communes.get(commune=world.sale, code="hygiene")
        agent = _user("hygiene@sale.example.ma", "Rachid Hygiène")
        _staff(world.sale, agent, Role.AGENT, hygiene)
        assert Membership.all_communes.filter(user=agent, commune=world.sale).exists()
        return ComplaintsWorld(
            w=world, sale_categories=sale_categories, temara_categories=temara_categories,
            sale_hygiene=hygiene, sale_voirie=Department.all_communes.get(commune=world.sale, code="voirie"),
            sale_relations=Department.all_communes.get(commune=world.sale, code="relations-usagers"),
            hygiene_agent=agent,
            sale_point=(34.04, -6.85), sale_east_point=(34.04, -6.73), temara_point=(33.92, -6.91),
            outside_point=(34.05, -6.95),
        )
