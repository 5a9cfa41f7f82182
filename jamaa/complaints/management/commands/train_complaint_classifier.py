"""manage.py train_complaint_classifier [--commune SLUG]: trains each commune's complaint category classifier on its
categories and past complaints, stores it, and says how well it does on complaints it was not trained on.

    manage.py train_complaint_classifier              every commune on the platform
    manage.py train_complaint_classifier --commune sale

The check holds out a fifth of the commune's past complaints (chosen at random, the same each run), trains on the rest
and counts how often the category a complaint was finally filed in comes first, or among the first three. The stored
model is then trained on all of them.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamaa.complaints import classifier
from jamaa.core import tenancy
from jamaa.core.models import Commune


class Command(BaseCommand):
    help = "Train the complaint category classifier of one commune or of every commune, and report its accuracy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--commune", default="", help="The commune's slug, for example sale (default: all).")
        parser.add_argument("--no-check", action="store_true",
                            help="Skip the held-out accuracy check (it trains a second model).")

    def handle(self, *args: Any, **options: Any) -> None:
        with tenancy.unscoped():
            if options["commune"]:
                commune = Commune.objects.filter(slug=options["commune"]).first()
                if commune is None:
                    raise CommandError(f"No commune with the slug {options['commune']!r}.")
                communes = [commune]
            else:
                communes = list(Commune.objects.filter(is_active=True).order_by("slug"))
            for commune in communes:
                self._train(commune, check=not options["no_check"])

    def _train(self, commune: Commune, *, check: bool) -> None:
        label = f"{commune.name_fr} ({commune.slug})"
        if check:
            result = classifier.evaluate(commune)
            if result.tested:
                self.stdout.write(
                    f"{label}: held-out check on {result.tested} of {result.complaints} complaints: "
                    f"first {result.top1:.0%}, among the first three {result.top3:.0%}")
            else:
                self.stdout.write(f"{label}: {result.complaints} past complaints, too few to hold some out "
                                  f"for a check (10 needed)")
        started = time.perf_counter()
        record = classifier.train(commune)
        seconds = time.perf_counter() - started
        if record is None:
            self.stdout.write(f"{label}: fewer than two categories in use, no model kept")
            return
        seeds = len(classifier.seed_samples(classifier.active_leaves(commune)))
        self.stdout.write(self.style.SUCCESS(
            f"{label}: trained on {record.samples} past complaints and {seeds} samples from the categories' names "
            f"and keywords in {seconds:.1f} s ({len(record.blob) / 1024:.0f} KiB stored)"))
