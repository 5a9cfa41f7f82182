"""Give a platform operator an authenticator (TOTP) device, from the server's shell.

The Django admin asks operators for a TOTP code, so the first operator of a new installation (made with
`createsuperuser`) gets a device here: the command prints the secret and an otpauth:// address to add to an
authenticator app. Commune staff enrol in the back office instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from jamaa.core.management.commands.load_demo import base32_secret
from jamaa.core.selectors import user_by_identifier


class Command(BaseCommand):
    help = "Create a confirmed TOTP device for an account and print its secret (for platform operators)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The account's phone number or e-mail address.")
        parser.add_argument("--replace", action="store_true",
                            help="Replace the account's existing authenticator devices.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        raw = options["username"].strip()
        user = user_by_identifier(raw)
        if user is None:
            raise CommandError(f"No account {raw!r}.")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.filter(confirmed=True).exists() and not options["replace"]:
            raise CommandError(f"{user.username} already has an authenticator. Use --replace to give them a new one "
                               "(the old one stops working).")
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        secret = base32_secret(device.key)
        label = quote(f"Jamaa:{user.username}")
        self.stdout.write(f"Secret: {secret}")
        self.stdout.write(f"otpauth://totp/{label}?secret={secret}&issuer=Jamaa&digits=6&period=30")
