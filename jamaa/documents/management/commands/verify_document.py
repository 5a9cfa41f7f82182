"""manage.py verify_document: the offline verifier. Checks a QR text or an act's PDF with a downloaded trust list
(`/.well-known/jamaa/trust-list.json`) and nothing else: no database, no network.

    manage.py verify_document --trust-list trust-list.json 'HTTPS://SALE.EXAMPLE.MA/V/…'
    echo 'HTTPS://…' | manage.py verify_document --trust-list trust-list.json -
    manage.py verify_document --trust-list trust-list.json --pdf act.pdf [--json]

Exit status: 0 authentic and valid, 1 authentic but expired, 2 not authentic, 3 the check could not run (unreadable
trust list or file). Revocation lives in the commune's registry: offline it is not checked, and the output says so.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from jamaa.documents import issuance, keys, kinds
from jamaa.documents.pdfcheck import MAX_PDF_BYTES
from jamaa.documents.verification import PdfCheck, Result, verify_claims_offline, verify_pdf_offline

EXIT_CODES = {"valid": 0, "expired": 1, "invalid": 2}
EXIT_UNUSABLE = 3
MAX_QR_TEXT = 16 * 1024


def reason_text(reason: str) -> str:
    """Why the document is not authentic, per stable reason code (`payload` and `pdfcheck`)."""
    texts = {
        "malformed": _("the text is not the QR code of a document issued by a commune, or only part of it"),
        "unknown_key": _("it was signed with a key that no commune of the trust list uses"),
        "bad_signature": _("its content does not match its signature: it was changed after it was issued"),
        "key_not_yet_valid": _("it is dated before the commune's signing key came into use"),
        "key_expired": _("it is dated after the commune stopped using this signing key"),
        "issuer_mismatch": _("it names a commune other than the one whose key signed it"),
        "not_pdf": _("the file is not a readable PDF"),
        "too_large": _("the file is too large to be a document issued by a commune"),
        "encrypted": _("the PDF is encrypted; documents issued by the communes never are"),
        "unsigned": _("the PDF carries no electronic seal"),
        "several_signatures": _("the PDF carries more than one signature"),
        "unreadable_signature": _("the signature in the PDF cannot be read"),
        "modified": _("the PDF was changed after the commune sealed it"),
        "incremental_update": _("something was added to the PDF after the commune sealed it"),
        "untrusted": _("the PDF's seal does not come from a trust anchor of the trust list, or its certificate is "
                       "no longer valid"),
        "no_qr": _("the PDF does not contain the signed code of a document"),
        "seal_not_issuer": _("the PDF's seal belongs to a commune other than the one that issued the code inside it"),
    }
    return texts.get(reason, _("it could not be verified"))


def _time(value: datetime | None) -> str | None:
    return keys.format_time(value) if value is not None else None


def _facts(result: Result) -> list[dict[str, Any]]:
    claims = result.claims
    if claims is None:
        return []
    return [{"key": key, "label": str(kinds.fact_label(claims.kind, key)), "value": value,
             "display": issuance.fact_display(claims.kind, key, value)} for key, value in sorted(claims.facts.items())]


def _pdf_dict(check: PdfCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {"signed": check.signed, "intact": check.intact, "whole_file": check.whole_file,
            "trusted": check.trusted, "signer": check.signer, "signed_at": _time(check.signed_at),
            "signer_sha256": check.signer_sha256, "reason": check.reason}


def as_dict(result: Result, trust: keys.TrustList) -> dict[str, Any]:
    """The result for programs (`--json`): stable keys, times in ISO 8601 UTC, labels in the chosen language."""
    claims = result.claims
    spec = kinds.spec_for_code(claims.kind) if claims else None
    return {
        "status": result.status,
        "authentic": result.is_authentic,
        "reason": result.reason,
        "message": reason_text(result.reason) if result.status == "invalid" else "",
        "issuer": ({"code": result.issuer.code, "name": result.issuer.name, "host": result.issuer.host}
                   if result.issuer and claims else None),
        "kind": claims.kind if claims else None,
        "kind_label": (str(spec.title) if spec else claims.kind) if claims else None,
        "reference": claims.reference if claims else None,
        "holder": claims.holder if claims else None,
        "facts": _facts(result),
        "issued_at": _time(claims.issued_at) if claims else None,
        "expires_at": _time(claims.expires_at) if claims else None,
        "expired": result.status == "expired",
        "registry": "not_checked",
        "pdf": _pdf_dict(result.pdf),
        "checked_at": _time(result.checked_at),
        "trust_list_issued_at": _time(trust.issued_at),
    }


class Command(BaseCommand):
    help = ("Check a document's QR text or PDF offline, with a downloaded trust list only. Exit status: 0 valid, "
            "1 expired, 2 not authentic, 3 the check could not run.")
    requires_system_checks: list[str] = []  # no database, nothing to check: it runs on a verifier's laptop

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        raise_error = parser.error

        def error(message: str) -> Any:
            # argparse exits with 2 on a usage error, which here means "not authentic": use 3 instead.
            if parser.called_from_command_line:
                parser.print_usage(sys.stderr)
                parser.exit(EXIT_UNUSABLE, f"{parser.prog}: error: {message}\n")
            return raise_error(message)

        parser.error = error  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("qr", nargs="?", help="The QR code's text (the URL it holds), or - to read it from stdin.")
        parser.add_argument("--pdf", metavar="FILE", help="Check this PDF file (its seal, then the QR text inside).")
        parser.add_argument("--trust-list", metavar="FILE", required=True,
                            help="The trust list, downloaded from /.well-known/jamaa/trust-list.json.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument("--at", metavar="TIME",
                            help="Check as at this time (ISO 8601 with a time zone) instead of now.")
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES],
                            default=settings.LANGUAGE_CODE, help="Language of the labels and messages.")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            code = self._run(options)
        if code:
            raise SystemExit(code)

    def _run(self, options: dict[str, Any]) -> int:
        if bool(options["qr"]) == bool(options["pdf"]):
            raise CommandError(_("Give either a QR text (or - for stdin) or --pdf FILE."), returncode=EXIT_UNUSABLE)
        trust = self._trust_list(Path(options["trust_list"]))
        now = self._moment(options["at"])
        if options["pdf"]:
            result = verify_pdf_offline(self._pdf(Path(options["pdf"])), trust, now=now)
        else:
            text = options["qr"]
            if text == "-":
                text = sys.stdin.read(MAX_QR_TEXT + 1)
            result = verify_claims_offline(text.strip()[:MAX_QR_TEXT], trust, now=now)
        if options["json"]:
            self.stdout.write(json.dumps(as_dict(result, trust), ensure_ascii=False, indent=2))
        else:
            self._print(result, trust)
        return EXIT_CODES[result.status]

    def _trust_list(self, path: Path) -> keys.TrustList:
        try:
            return keys.TrustList.from_json(path.read_bytes())
        except OSError as exc:
            raise CommandError(_("Cannot read the trust list %(path)s: %(error)s") % {
                "path": path, "error": exc.strerror or exc}, returncode=EXIT_UNUSABLE) from exc
        except keys.TrustListError as exc:
            raise CommandError(_("%(path)s is not a usable trust list: %(error)s") % {"path": path, "error": exc},
                               returncode=EXIT_UNUSABLE) from exc

    def _pdf(self, path: Path) -> bytes:
        try:
            with path.open("rb") as file:
                return file.read(MAX_PDF_BYTES + 1)  # a bigger file is refused as too large, unread
        except OSError as exc:
            raise CommandError(_("Cannot read the file %(path)s: %(error)s") % {
                "path": path, "error": exc.strerror or exc}, returncode=EXIT_UNUSABLE) from exc

    def _moment(self, text: str | None) -> datetime | None:
        if not text:
            return None
        try:
            return keys.parse_time(text)
        except keys.TrustListError as exc:
            raise CommandError(_("--at needs a time such as 2026-12-01T09:00:00Z."),
                               returncode=EXIT_UNUSABLE) from exc

    def _print(self, result: Result, trust: keys.TrustList) -> None:
        lines: list[str] = []

        def row(label: str, value: str) -> None:
            lines.append(f"{label}: {value}")

        if result.status == "invalid":
            lines.append(_("NOT AUTHENTIC: %(reason)s (%(code)s).") % {
                "reason": reason_text(result.reason), "code": result.reason or "invalid"})
        elif result.status == "expired":
            lines.append(_("AUTHENTIC, BUT EXPIRED: the document was issued by the commune and not changed since, "
                           "but its validity has ended."))
        else:
            lines.append(_("AUTHENTIC AND VALID: the document was issued by the commune and not changed since."))
        claims = result.claims
        if claims is not None and result.issuer is not None:
            spec = kinds.spec_for_code(claims.kind)
            row(_("Issued by"), f"{result.issuer.name} ({result.issuer.code}, {result.issuer.host})")
            row(_("Kind of act"), f"{spec.title if spec else claims.kind} ({claims.kind})")
            row(_("Reference"), claims.reference)
            row(_("Holder"), claims.holder)
            for fact in _facts(result):
                row(fact["label"], fact["display"])
            row(_("Issued on"), issuance.format_date(claims.issued_at))
            if claims.expires_at is None:
                row(_("Valid until"), _("no time limit"))
            else:
                state = _("expired") if result.status == "expired" else _("not expired")
                row(_("Valid until"), f"{issuance.format_date(claims.expires_at)} ({state})")
        check = result.pdf
        if check is not None and check.signed:
            facts = [_("intact") if check.intact else _("changed after sealing"),
                     _("covers the whole file") if check.whole_file else _("something was added after sealing"),
                     _("trusted") if check.trusted else _("not trusted")]
            row(_("PDF seal"), ", ".join(facts))
            if check.signer:
                row(_("Sealed by"), check.signer)
            if check.signed_at is not None:
                row(_("Sealed on"), issuance.format_date(check.signed_at))
        if result.status != "invalid":
            row(_("Registry status"), _("not checked offline (a revoked document is only known online)"))
        row(_("Trust list of"), issuance.format_date(trust.issued_at))
        self.stdout.write("\n".join(lines))
