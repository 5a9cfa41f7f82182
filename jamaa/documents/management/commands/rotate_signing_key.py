"""manage.py rotate_signing_key <commune-slug>: publish a commune's next QR signing key and retire the current one.

The next key is generated and kept in the database (encrypted), or, in production, registered where it already lives:
`--source file --key-path /etc/jamaa/keys/qr-sale-2027.key.pem` (a P-256 PEM key, encrypted with
DOCUMENT_SEAL_KEY_PASSWORD or not) or `--source pkcs11 --key-label qr-sale-2027` (a P-256 key pair on the token of
the DOCUMENT_SEAL_PKCS11_* settings). Its public key is read there and listed now; it signs from --days later.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamaa.core.models import Commune
from jamaa.documents.keys import format_time
from jamaa.documents.models import SigningKey
from jamaa.documents.services import SigningKeyUnavailable, key_rotate


class Command(BaseCommand):
    help = ("Create or register a commune's next QR signing key (listed now, used after --days) and retire the "
            "current one.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("commune", help="The commune's slug, for example sale.")
        parser.add_argument("--days", type=int, default=7,
                            help="Days between publishing the new key and its first use (default 7).")
        parser.add_argument("--source", choices=[s.value for s in SigningKey.Source],
                            default=SigningKey.Source.DATABASE.value,
                            help="Where the new key lives: database (generated here, the default), file or pkcs11.")
        parser.add_argument("--key-path", default="", help="With --source file: the P-256 private key's PEM file.")
        parser.add_argument("--key-label", default="",
                            help="With --source pkcs11: the label of the P-256 key pair on the token.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            commune = Commune.objects.get(slug=options["commune"])
        except Commune.DoesNotExist as exc:
            raise CommandError(f"no commune with the slug {options['commune']!r}") from exc
        if options["days"] < 0:
            raise CommandError("--days must not be negative")
        source, path, label = options["source"], options["key_path"], options["key_label"]
        if source == SigningKey.Source.FILE and (not path or label):
            raise CommandError("--source file needs --key-path (and no --key-label)")
        if source == SigningKey.Source.PKCS11 and (not label or path):
            raise CommandError("--source pkcs11 needs --key-label (and no --key-path)")
        if source == SigningKey.Source.DATABASE and (path or label):
            raise CommandError("--key-path and --key-label go with --source file or pkcs11")
        try:
            key = key_rotate(commune=commune, publish_days_before_use=options["days"], source=source,
                             key_path=path or label)
        except SigningKeyUnavailable as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            if "kid" in getattr(exc, "message_dict", {}):
                raise CommandError("this key is already registered: a key is listed once, give a new one") from exc
            raise CommandError("; ".join(exc.messages)) from exc
        where = f" ({key.source}: {key.key_path})" if key.key_path else ""
        self.stdout.write(f"{commune.slug}: new key {key.kid}{where}, signing from {format_time(key.valid_from)}")
