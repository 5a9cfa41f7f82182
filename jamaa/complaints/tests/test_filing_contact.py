"""Filing without an account with a phone number or e-mail address for follow-up: the code sent (hashed, 10 minutes,
5 tries), its confirmation, and the form's flow with and without JavaScript."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import ngettext

from conftest import host_client
from jamaa.complaints import contact as contact_checks
from jamaa.complaints.tests.filing_helpers import (
    checks,
    complaints,
    hidden,
    open_form,
    page_language,
    report_data,
    says,
    sms_code,
    text_of,
    url,
)
from jamaa.core import tenancy
from jamaa.core.identifiers import mask_phone
from jamaa.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db

PHONE = "0661234567"
PHONE_E164 = "+212661234567"
MASKED = mask_phone(PHONE_E164)
CONFIRMED = '<bdi dir="ltr">%(recipient)s</bdi> is confirmed: we will tell you of each step of your complaint.'


@pytest.fixture(autouse=True)
def _clean(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.VERIFICATION_RESEND_COOLDOWN_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def visitor(cworld: Any) -> Any:
    return host_client("sale.localhost")


def start(cworld: Any, raw: str = PHONE, language: str = "fr") -> Any:
    with tenancy.unscoped():
        return contact_checks.contact_check_start(commune=cworld.w.sale, raw=raw, language=language)


def refused(check: Any, code: str) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        contact_checks.contact_check_confirm(check=check, code=code)
    return " ".join(exc.value.message_dict["code"])


# --- the service ------------------------------------------------------------------------------------------------------


def test_a_code_goes_by_sms_in_the_citizens_language_and_only_its_hash_is_kept(cworld: Any) -> None:
    check = start(cworld)
    assert check.channel == "sms" and check.recipient == PHONE_E164
    message = OutboundMessage.objects.get(recipient=PHONE_E164)
    assert message.template == "complaint_contact_code" and message.language == "fr"
    code = sms_code(PHONE_E164)
    assert code not in check.code_hash and len(check.code_hash) == 64
    assert check.expires_at - check.created_at == timedelta(minutes=10)
    confirmed = contact_checks.contact_check_confirm(check=check, code=code)
    assert confirmed.confirmed_at is not None


def test_an_email_address_gets_its_code_by_email(cworld: Any) -> None:
    check = start(cworld, "Amina.Tazi@Example.MA")
    assert check.channel == "email" and check.recipient == "amina.tazi@example.ma"
    message = OutboundMessage.objects.get(recipient="amina.tazi@example.ma")
    assert message.channel == "email" and message.subject


def test_arabic_digits_confirm_the_code(cworld: Any) -> None:
    check = start(cworld)
    code = sms_code(PHONE_E164)
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert contact_checks.contact_check_confirm(check=check, code=f" {arabic} ").confirmed_at is not None


def test_a_wrong_code_is_counted_and_five_wrong_codes_kill_the_check(cworld: Any) -> None:
    check = start(cworld)
    right = sms_code(PHONE_E164)
    wrong = "000000" if right != "000000" else "111111"
    assert refused(check, wrong) == "Wrong code. 4 tries left."
    assert checks()[0].attempts == 1  # kept although the service refused
    for _ in range(3):
        refused(check, wrong)
    assert refused(check, wrong) == "Too many wrong codes. Ask for a new code."
    assert refused(check, right) == "Too many wrong codes. Ask for a new code."
    assert checks()[0].confirmed_at is None


def test_an_expired_code_is_refused(cworld: Any) -> None:
    check = start(cworld)
    code = sms_code(PHONE_E164)
    with tenancy.unscoped():
        type(check).all_communes.filter(pk=check.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refused(check, code) == "This code has expired. Ask for a new code."


def test_a_code_that_is_not_six_digits_costs_no_try(cworld: Any) -> None:
    check = start(cworld)
    assert refused(check, "12ab") == "The code has 6 digits."
    assert checks()[0].attempts == 0


def test_a_used_check_confirms_nothing_more(cworld: Any) -> None:
    check = start(cworld)
    code = sms_code(PHONE_E164)
    with tenancy.unscoped():
        type(check).all_communes.filter(pk=check.pk).update(used_at=timezone.now())
    assert refused(check, code) == "This code was already used for a complaint. Ask for a new code."


def test_what_is_neither_a_mobile_number_nor_an_email_is_refused(cworld: Any) -> None:
    for raw, message in [("hello", "Enter a mobile number or an e-mail address."),
                         ("0537000000", "This is a landline number; enter a mobile number (06… or 07…) that can "
                                        "receive SMS."),
                         ("+33612345678", "Only Moroccan mobile numbers (+212) can be used. Use an e-mail address "
                                          "otherwise.")]:
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            start(cworld, raw)
        assert exc.value.message_dict["contact"] == [message]
    assert checks() == []


def test_codes_to_one_number_are_limited_per_hour_and_spaced(cworld: Any, settings: Any) -> None:
    for _ in range(settings.COMPLAINT_PER_CONTACT_HOUR):
        start(cworld)
    with pytest.raises(contact_checks.ContactLimited) as exc:
        start(cworld, "+212 6 61 23 45 67")  # the same number, written otherwise
    assert exc.value.reason == "hourly"
    assert len(checks()) == settings.COMPLAINT_PER_CONTACT_HOUR

    settings.VERIFICATION_RESEND_COOLDOWN_SECONDS = 60
    start(cworld, "0700112233")
    with pytest.raises(contact_checks.ContactLimited) as exc:
        start(cworld, "0700112233")
    assert exc.value.reason == "cooldown"


# --- the form, without JavaScript ---------------------------------------------------------------------------------


def test_without_javascript_the_code_is_sent_then_typed_and_the_complaint_is_followed_by_sms(cworld: Any,
                                                                                            visitor: Any) -> None:
    _page, key = open_form(visitor)
    data = report_data(cworld, key, follow="contact", contact=PHONE)
    step = visitor.post(url("complaints:new", kind="report"), data)
    assert step.status_code == 200
    assert complaints() == []
    assert says(step, "We sent a 6-digit code by SMS to %(recipient)s. It works for 10 minutes.",
                recipient=MASKED)
    assert says(step, "Type it below, then send your complaint again.")
    assert 'name="code"' in step.content.decode()
    token = hidden(step, "contact_token")
    assert 'value="0661234567"' in step.content.decode()  # what was typed is kept

    wrong = visitor.post(url("complaints:new", kind="report"), {**data, "contact_token": token, "code": "000001"
                                                                 if sms_code(PHONE_E164) != "000001" else "000002"})
    assert wrong.status_code == 400
    with translation.override(page_language(wrong)):
        expected = ngettext("Wrong code. %(count)d try left.", "Wrong code. %(count)d tries left.", 4) % {"count": 4}
    assert expected in text_of(wrong)
    assert complaints() == []

    done = visitor.post(url("complaints:new", kind="report"),
                        {**data, "contact_token": token, "code": sms_code(PHONE_E164)})
    assert done.status_code == 302
    [complaint] = complaints()
    assert complaint.case.applicant_phone == PHONE_E164 and not complaint.is_anonymous
    assert checks()[0].used_at is not None
    received = OutboundMessage.objects.filter(recipient=PHONE_E164, template="complaint_received")
    assert received.count() == 1  # the follow-up starts at once
    receipt = visitor.get(done["Location"])
    assert says(receipt, 'We tell you of each step at <bdi dir="ltr">%(contact)s</bdi>.', contact=MASKED)


def test_the_send_code_button_keeps_the_form_without_errors(cworld: Any, visitor: Any) -> None:
    _page, key = open_form(visitor)
    response = visitor.post(url("complaints:new", kind="report"), {
        "submission_key": key, "description": "Lampadaire éteint rue 5", "follow": "contact", "contact": PHONE,
        "action": "send_code"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Lampadaire éteint rue 5" in body
    assert 'class="form-errors"' not in body  # the complaint is not sent yet: nothing is wrong with it
    assert len(checks()) == 1

    confirm = visitor.post(url("complaints:new", kind="report"), {
        "submission_key": key, "description": "Lampadaire éteint rue 5", "follow": "contact", "contact": PHONE,
        "contact_token": hidden(response, "contact_token"), "code": sms_code(PHONE_E164), "action": "check_code"})
    assert confirm.status_code == 200
    assert says(confirm, CONFIRMED,
                recipient=MASKED)
    assert checks()[0].confirmed_at is not None


def test_a_token_from_another_session_confirms_nothing(cworld: Any, visitor: Any) -> None:
    _page, key = open_form(visitor)
    sent = visitor.post(url("complaints:new", kind="report"), {
        "submission_key": key, "follow": "contact", "contact": PHONE, "action": "send_code"})
    token = hidden(sent, "contact_token")
    other = host_client("sale.localhost")
    _page, other_key = open_form(other)
    response = other.post(url("complaints:new", kind="report"), report_data(
        cworld, other_key, follow="contact", contact=PHONE, contact_token=token, code=sms_code(PHONE_E164)))
    assert response.status_code == 200  # a new code is sent to the number instead
    assert complaints() == []
    assert len(checks()) == 2 and checks()[0].confirmed_at is None


def test_changing_the_number_needs_a_new_code(cworld: Any, visitor: Any) -> None:
    _page, key = open_form(visitor)
    sent = visitor.post(url("complaints:new", kind="report"), {
        "submission_key": key, "follow": "contact", "contact": PHONE, "action": "send_code"})
    response = visitor.post(url("complaints:new", kind="report"), report_data(
        cworld, key, follow="contact", contact="0700112233", contact_token=hidden(sent, "contact_token"),
        code=sms_code(PHONE_E164)))
    assert response.status_code == 200
    assert complaints() == []
    assert [c.recipient for c in checks()] == [PHONE_E164, "+212700112233"]


def test_a_bad_number_is_said_next_to_the_field(cworld: Any, visitor: Any) -> None:
    _page, key = open_form(visitor)
    response = visitor.post(url("complaints:new", kind="report"),
                            report_data(cworld, key, follow="contact", contact="12"))
    assert response.status_code == 400
    assert says(response, "This is not a valid Moroccan phone number.")
    assert 'id="id_contact_error"' in response.content.decode()
    assert checks() == [] and complaints() == []


def test_follow_up_by_contact_needs_the_number(cworld: Any, visitor: Any) -> None:
    _page, key = open_form(visitor)
    response = visitor.post(url("complaints:new", kind="report"), report_data(cworld, key, follow="contact"))
    assert response.status_code == 400
    assert says(response, "Enter a mobile number or an e-mail address.")


# --- the form, with htmx ------------------------------------------------------------------------------------------


def test_the_contact_box_sends_and_checks_the_code_in_place(cworld: Any, visitor: Any) -> None:
    open_form(visitor, language="fr")
    sent = visitor.post(url("complaints:contact", "fr"), {"follow": "contact", "contact": "amina@example.ma",
                                                         "action": "send_code"}, HTTP_HX_REQUEST="true")
    assert sent.status_code == 200
    body = sent.content.decode()
    assert body.lstrip().startswith('<fieldset id="contact-box"') and "<html" not in body
    assert says(sent, "We sent a 6-digit code by e-mail to %(recipient)s. It works for 10 minutes.", "fr",
                recipient="a•••@example.ma")
    code = sms_code("amina@example.ma")  # the e-mail carries the code the same way

    checked = visitor.post(url("complaints:contact", "fr"), {
        "follow": "contact", "contact": "amina@example.ma", "contact_token": hidden(sent, "contact_token"),
        "code": code, "action": "check_code"}, HTTP_HX_REQUEST="true")
    assert checked.status_code == 200
    assert says(checked, CONFIRMED, "fr",
                recipient="a•••@example.ma")


def test_the_contact_box_says_what_is_wrong_in_place(cworld: Any, visitor: Any) -> None:
    response = visitor.post(url("complaints:contact"), {"follow": "contact", "contact": "", "action": "send_code"},
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps successful answers only
    assert says(response, "Enter a mobile number or an e-mail address.")
    no_code = visitor.post(url("complaints:contact"), {"follow": "contact", "contact": PHONE, "code": "123456",
                                                       "action": "check_code"}, HTTP_HX_REQUEST="true")
    assert says(no_code, "Ask for a code first: type your number or address, then “Send me a code”.")
    assert checks() == []


def test_the_contact_box_is_refused_to_get_and_is_nothing_for_an_account(cworld: Any, visitor: Any) -> None:
    assert visitor.get(url("complaints:contact")).status_code == 405
    citizen = host_client("sale.localhost")
    citizen.force_login(cworld.w.citizen_sale)
    assert citizen.post(url("complaints:contact"), {"contact": PHONE, "action": "send_code"}).status_code == 204
    assert checks() == []
    assert host_client("localhost").post(url("complaints:contact"), {"contact": PHONE}).status_code == 404


def test_an_account_holder_is_not_asked_for_a_contact(cworld: Any) -> None:
    citizen = host_client("sale.localhost")
    citizen.force_login(cworld.w.citizen_sale)
    page, _key = open_form(citizen)
    assert 'id="contact-box"' not in page.content.decode()
    assert 'name="follow"' not in page.content.decode() and 'name="contact"' not in page.content.decode()
    assert 'class="filing-login"' not in page.content.decode()
