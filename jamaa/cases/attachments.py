"""Files attached to cases: checked by their content (not their name), stripped of metadata, kept outside the public
media and static directories, and served only through views that checked who asks.

- `check_upload(f)` reads the upload once: refuses an empty or too large file and any type other than PDF, JPEG or
  PNG as sniffed from the bytes; re-encodes images so that EXIF (GPS position, camera, date) and other metadata are
  dropped, after applying the EXIF orientation so the picture still stands upright.
- `private_storage` writes under `settings.PRIVATE_MEDIA_ROOT` (read at each call, so tests can point it elsewhere)
  and has no URL.
- `attachment_response(attachment)` sends the file with headers that stop the browser from guessing a type or
  caching it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

if TYPE_CHECKING:
    from jamaa.cases.models import Attachment

# Sniffed MIME type -> extension of the stored name.
ALLOWED_TYPES: dict[str, str] = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# A phone photo is about 12-50 megapixels; more than this is a decompression bomb, not a scan.
MAX_IMAGE_PIXELS = 60_000_000
NAME_MAX_LENGTH = 150


class PrivateStorage(FileSystemStorage):
    """File storage under PRIVATE_MEDIA_ROOT, never under MEDIA_ROOT or STATIC_ROOT, and without URLs."""

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:  # type: ignore[override]
        return None

    @property
    def file_permissions_mode(self) -> int:  # type: ignore[override]
        return 0o600

    @property
    def directory_permissions_mode(self) -> int:  # type: ignore[override]
        return 0o700


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """The storage of `Attachment.file` (a callable, so that the migration does not store a path)."""
    return private_storage


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the checks: the bytes to store (re-encoded for images) and what to record about them."""

    content: bytes
    content_type: str
    extension: str
    original_name: str
    size: int
    sha256: str

    def as_file(self) -> ContentFile:
        return ContentFile(self.content, name=f"upload.{self.extension}")


def _display_name(raw: str, extension: str) -> str:
    """The user's file name without a path or control characters, its extension replaced by the real type's."""
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name).strip() or _("document")
    return f"{stem[:NAME_MAX_LENGTH]}.{extension}"


def _read_limited(f: UploadedFile, limit: int) -> bytes:
    if hasattr(f, "seek"):
        f.seek(0)
    chunks: list[bytes] = []
    read = 0
    for chunk in f.chunks():
        chunks.append(chunk)
        read += len(chunk)
        if read > limit:
            break
    return b"".join(chunks)


def _clean_image(content: bytes, mime: str) -> bytes:
    """The picture alone: orientation applied, every metadata block (EXIF, XMP, comments, text chunks) dropped."""
    unreadable = ValidationError(_("This image could not be read. Scan it again or send a PDF."), code="bad_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                width, height = probe.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValidationError(_("This image is too large in pixels. Send a smaller scan."),
                                          code="too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                icc_profile = image.info.get("icc_profile")
                transparency = image.info.get("transparency")
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError, EOFError) as exc:
        raise unreadable from exc
    clean = upright.copy()
    clean.info = {}
    clean.getexif().clear()
    out = io.BytesIO()
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile  # colours, not personal data
    if mime == "image/png":
        if transparency is not None and clean.mode in ("P", "L", "RGB"):
            options["transparency"] = transparency
        clean.save(out, format="PNG", optimize=True, **options)
    else:
        if clean.mode not in ("RGB", "L", "CMYK"):
            clean = clean.convert("RGB")
        clean.save(out, format="JPEG", quality=90, optimize=True, **options)
    return out.getvalue()


def check_upload(f: UploadedFile) -> CheckedUpload:
    """Check an uploaded file by its content; ValidationError (with a message for the person who sent it) when it is
    empty, too large, or not a PDF, JPEG or PNG file whatever its name says."""
    limit = settings.CASE_ATTACHMENT_MAX_BYTES
    content = _read_limited(f, limit)
    if not content:
        raise ValidationError(_("This file is empty."), code="empty")
    if len(content) > limit:
        raise ValidationError(
            _("This file is too large: at most %(size)s.") % {"size": filesizeformat(limit)}, code="too_large")
    kind = filetype.guess(content)
    mime = kind.mime if kind is not None else ""
    if mime not in ALLOWED_TYPES:
        raise ValidationError(
            _("Only PDF files and JPEG or PNG images are accepted (the file's content was checked, not its name)."),
            code="bad_type")
    if mime != "application/pdf":
        content = _clean_image(content, mime)
    extension = ALLOWED_TYPES[mime]
    return CheckedUpload(
        content=content, content_type=mime, extension=extension,
        original_name=_display_name(getattr(f, "name", "") or "", extension),
        size=len(content), sha256=hashlib.sha256(content).hexdigest(),
    )


def attachment_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    """The file, for a view that already checked that the person may see it."""
    handle = private_storage.open(attachment.file.name, "rb")
    response = FileResponse(handle, as_attachment=not inline, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
