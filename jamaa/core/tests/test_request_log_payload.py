"""The request log never keeps a document's QR payload (it carries the holder's name and CIN)."""

from __future__ import annotations

import logging

import pytest

from jamaa.core.middleware import _loggable_path

pytestmark = pytest.mark.django_db

PAYLOAD = "PDNAD2YACT75FBCNUIASMBCILZC65OFPVYKHTICYS2UAAAIBMNJUCTACMN"


@pytest.mark.parametrize("path", [f"/V/{PAYLOAD}", f"/verify/{PAYLOAD}/", f"/fr/verify/{PAYLOAD}/"])
def test_verification_paths_are_logged_without_their_payload(path):
    assert PAYLOAD not in _loggable_path(path) and _loggable_path(path).endswith("…")


def test_other_paths_are_logged_as_they_are():
    assert _loggable_path("/fr/requests/SAL-2026-000001/") == "/fr/requests/SAL-2026-000001/"


def test_a_scanned_qr_code_leaves_no_payload_in_the_log(world, sale_client, caplog):
    with caplog.at_level(logging.INFO, logger="jamaa.request"):
        sale_client.get(f"/V/{PAYLOAD}")
    assert caplog.records and all(PAYLOAD not in record.getMessage() and PAYLOAD not in str(record.__dict__)
                                  for record in caplog.records)
