"""manage.py rotate_signing_key <commune-slug>: publish a commune's next QR signing key and retire the current one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamaa.core.models import Commune
from jamaa.documents.keys import format_time
from jamaa.documents.services import key_rotate


class Command(BaseCommand):
    help = "Create a commune's next QR signing key (listed now, used after --days) and retire the current one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("commune", help="The commune's slug, for example sale.")
        parser.add_argument("--days", type=int, default=7,
                            help="Days between publishing the new key and its first use (default 7).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            commune = Commune.objects.get(slug=options["commune"])
        except Commune.DoesNotExist as exc:
            raise CommandError(f"no commune with the slug {options['commune']!r}") from exc
        if options["days"] < 0:
            raise CommandError("--days must not be negative")
        key = key_rotate(commune=commune, publish_days_before_use=options["days"])
        self.stdout.write(f"{commune.slug}: new key {key.kid}, signing from {format_time(key.valid_from)}")
