"""Install the shared default complaint categories (and the departments they go to) in one or more communes.

    manage.py complaints_install_defaults sale temara
    manage.py complaints_install_defaults --all

Categories a commune already has (same code) are left as the commune edited them, so running it again, or after a
new default category was added to `jamaa.complaints.defaults`, only adds what is missing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamaa.complaints.defaults import categories_install_defaults
from jamaa.core import tenancy
from jamaa.core.models import Commune


class Command(BaseCommand):
    help = "Install the default complaint categories in the communes named (by slug), or in every active commune."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("communes", nargs="*", metavar="SLUG", help="Communes by slug (for example: sale).")
        parser.add_argument("--all", action="store_true", help="Every active commune.")

    def handle(self, *args: Any, **options: Any) -> None:
        slugs: list[str] = options["communes"]
        if bool(slugs) == bool(options["all"]):
            raise CommandError("Name the communes by slug, or pass --all (not both).")
        with tenancy.unscoped():
            if options["all"]:
                communes = list(Commune.objects.filter(is_active=True).order_by("slug"))
            else:
                found = {c.slug: c for c in Commune.objects.filter(slug__in=slugs)}
                unknown = [slug for slug in slugs if slug not in found]
                if unknown:
                    raise CommandError(f"No commune with the slug: {', '.join(unknown)}.")
                communes = [found[slug] for slug in dict.fromkeys(slugs)]
            for commune in communes:
                created = categories_install_defaults(commune=commune)
                if options["verbosity"] > 0:
                    self.stdout.write(f"{commune.slug}: {created} categories added")
