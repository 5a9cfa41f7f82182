"""Helpers for the tests of the case services: real file contents and a private storage under tmp_path."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


def png_bytes(size: tuple[int, int] = (8, 6), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG", **save)
    return out.getvalue()


def pdf_upload(name: str = "proof.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png_upload(name: str = "scan.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def sale_answers(world, **changes: object) -> dict[str, object]:
    from jamaa.core.models import Arrondissement

    arrondissement = Arrondissement.all_communes.filter(commune=world.sale).order_by("position").first()
    answers: dict[str, object] = {"arrondissement": str(arrondissement.pk), "address": "12 rue des Orangers",
                                  "cin": "ab123456", "since": "2020-01-15", "purpose": "work", "owner": "yes"}
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def submit_sale(world, procedures, **kwargs: object):
    """A valid residence-certificate request by Salé's citizen (its proof of address attached)."""
    from jamaa.cases.services import case_submit

    options: dict[str, object] = {
        "commune": world.sale, "procedure": procedures.sale_residence, "data": sale_answers(world),
        "files": [("doc__proof", pdf_upload())], "citizen": world.citizen_sale,
    }
    options.update(kwargs)
    return case_submit(**options)


def submit_building(world, procedures, **kwargs: object):
    """A building-permit request in Salé (calendar days, silence means approval, no documents)."""
    from jamaa.cases.services import case_submit

    options: dict[str, object] = {"commune": world.sale, "procedure": procedures.sale_building,
                                  "data": {"parcel": "TF 1234/R"}, "citizen": world.citizen_sale}
    options.update(kwargs)
    return case_submit(**options)
