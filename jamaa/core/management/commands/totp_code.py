"""Print the current TOTP code of an account's confirmed device (demo and development only).

`make totp USER=admin@sale.example.ma` calls this, so that a tester can pass the back office's second factor
without an authenticator app. Under production settings it refuses: there it would defeat two-factor login.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jamaa.core.selectors import user_by_identifier


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


class Command(BaseCommand):
    help = "Print the current TOTP code of a (demo) account's confirmed authenticator device."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The account's phone number or e-mail address.")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("totp_code is for demo and development only; it never runs in production.")
        raw = options["username"].strip()
        user = user_by_identifier(raw)
        if user is None:
            raise CommandError(f"No account {raw!r}. The demo accounts are printed by `make demo` (see README.md).")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(f"{user.username} has no confirmed TOTP device (only staff and operators have one).")
        remaining = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(current_code(device))
        if options["verbosity"] > 1:
            self.stdout.write(f"valid for {remaining} more seconds")
