"""Attachments are checked by content, stripped of metadata, stored privately and served with safe headers."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jamaa.cases.attachments import attachment_response, check_upload, private_storage
from jamaa.cases.tests.service_fixtures import PDF_BYTES, png_bytes, private_root  # noqa: F401


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg_with_gps_and_rotation() -> bytes:
    image = Image.new("RGB", (40, 20), (10, 120, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to stand upright
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (34.0, 2.0, 1.0), 3: "W", 4: (6.0, 47.0, 2.0)}  # GPS position in Salé
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def test_a_pdf_is_accepted_as_it_is():
    checked = check_upload(upload("justificatif.PDF", PDF_BYTES))
    assert (checked.content_type, checked.extension, checked.original_name) == ("application/pdf", "pdf",
                                                                                "justificatif.pdf")
    assert checked.content == PDF_BYTES and checked.size == len(PDF_BYTES) and len(checked.sha256) == 64


def test_an_image_named_pdf_is_stored_as_the_image_it_is():
    checked = check_upload(upload("scan.pdf", png_bytes(), "application/pdf"))
    assert (checked.content_type, checked.original_name) == ("image/png", "scan.png")


def test_a_text_file_named_pdf_is_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(upload("contract.pdf", b"just some text pretending to be a PDF", "application/pdf"))
    assert error.value.code == "bad_type"


@pytest.mark.parametrize("content", [b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", b"PK\x03\x04" + b"\x00" * 40,
                                     b"MZ\x90\x00" + b"\x00" * 60, b"<html><script>alert(1)</script></html>"])
def test_other_types_are_refused_whatever_their_name(content):
    with pytest.raises(ValidationError):
        check_upload(upload("photo.jpg", content, "image/jpeg"))


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(upload("empty.pdf", b""))
    assert error.value.code == "empty"


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.CASE_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        check_upload(upload("big.pdf", PDF_BYTES + b" " * 1000))
    assert error.value.code == "too_large"
    assert "1000" in str(error.value.messages[0]).replace("\u00a0", "") or "KB" in error.value.messages[0]


def test_a_broken_image_is_refused_with_a_clear_message():
    broken = png_bytes()[:40]
    with pytest.raises(ValidationError) as error:
        check_upload(upload("scan.png", broken))
    assert error.value.code == "bad_image"


def test_a_photo_loses_its_gps_position_and_camera_but_stays_upright():
    original = jpeg_with_gps_and_rotation()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
    checked = check_upload(upload("IMG_2041.jpg", original, "image/jpeg"))
    assert checked.content_type == "image/jpeg"
    clean = Image.open(io.BytesIO(checked.content))
    assert dict(clean.getexif()) == {}
    assert "comment" not in clean.info and "exif" not in clean.info
    assert b"PhoneMaker" not in checked.content and b"taken at home" not in checked.content
    assert clean.size == (20, 40)  # the rotation was applied to the pixels


def test_a_png_loses_its_text_chunks():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Fatima Zahra Bennani")
    checked = check_upload(upload("scan.png", png_bytes(pnginfo=info)))
    assert b"Fatima" not in checked.content
    assert Image.open(io.BytesIO(checked.content)).size == (8, 6)


def test_private_storage_follows_the_setting_and_has_no_url(private_root):  # noqa: F811
    name = private_storage.save("cases/test/file", io.BytesIO(PDF_BYTES))
    path = private_storage.path(name)
    assert path.startswith(str(private_root))
    assert not path.startswith(str(settings.STORAGES["default"]["OPTIONS"]["location"]))
    assert not path.startswith(str(settings.STATIC_ROOT))
    with pytest.raises(ValueError):
        private_storage.url(name)


def test_the_file_is_sent_as_a_download_that_is_neither_sniffed_nor_cached(private_root):  # noqa: F811
    from types import SimpleNamespace

    name = private_storage.save("cases/test/file", io.BytesIO(PDF_BYTES))
    attachment = SimpleNamespace(file=SimpleNamespace(name=name), original_name="justificatif de domicile.pdf",
                                 content_type="application/pdf")
    response = attachment_response(attachment)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "justificatif" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF_BYTES
    inline = attachment_response(attachment, inline=True)
    assert inline["Content-Disposition"].startswith("inline;")
    inline.close()
