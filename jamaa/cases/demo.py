"""DEMO cases: a living commune for `make demo`. About 25 requests in Salé and 8 in Témara, by the demo citizens
and at the counter, in every state of the workflow: submitted, in review, returned (with what is missing),
completed after a return, approved, rejected (with reasons), act issued, closed and rated, withdrawn, a draft;
some assigned, messages both ways, an internal note, two small attachments (a PDF and a PNG), and overdue requests.

Called by `manage.py load_demo` after the catalogue (jamaa.catalog.demo). Everything goes through the real services
(`case_submit`, `case_transition`, `case_complete`, `message_post`, `note_add`, `case_assign`, `case_rate`, and
`draft_save`), so references, tracking codes, timeline events, audit entries and notifications (queued in the
outbox) are exactly what the platform makes. Idempotent: each demo request carries a stable submission key
(`demo-<n>` per demo citizen, `demo-counter-<n>` for the counter in each commune); a request whose key exists is
left as it is (a person trying the demo may have moved it on), and the draft is made only if the citizen has none
for that procedure. A second run adds nothing.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from jamaa.cases import services
from jamaa.cases.models import Attachment, Case, CaseChannel, CaseEvent, CaseMessage, CaseQuerySet, CaseState
from jamaa.catalog.models import CommuneProcedure
from jamaa.core import calendar
from jamaa.core.models import Arrondissement, Commune, User

KEY_PREFIX = "demo-"
COUNTER_KEY_PREFIX = "demo-counter-"

SALE_CITIZEN = "+212612345678"
TEMARA_CITIZEN = "youssef@example.ma"
SALE_AGENT = "agent@sale.example.ma"
SALE_HEAD = "chef.etat-civil@sale.example.ma"
SALE_ADMIN = "admin@sale.example.ma"
TEMARA_AGENT = "agent@temara.example.ma"
TEMARA_ADMIN = "admin@temara.example.ma"


# --- tiny valid files (the services sniff the real content type) --------------------------------------------------


def demo_pdf() -> bytes:
    """A one-page PDF with a line of text, with a correct cross-reference table."""
    stream = b"BT /F1 18 Tf 72 720 Td (Jamaa - document de demonstration) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def demo_png(width: int = 32, height: int = 24) -> bytes:
    """A small green-and-gold PNG (the commune's colours), written without any library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    rows = b"".join(
        b"\x00" + b"".join(bytes((11, 93, 59)) if (x + y) % 8 < 5 else bytes((184, 134, 11)) for x in range(width))
        for y in range(height))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes((8, 2, 0, 0, 0))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def _upload(kind: str, name: str) -> SimpleUploadedFile:
    if kind == "png":
        return SimpleUploadedFile(name, demo_png(), content_type="image/png")
    return SimpleUploadedFile(name, demo_pdf(), content_type="application/pdf")


# --- the scenarios ------------------------------------------------------------------------------------------------

# A step: (action, *arguments). Staff are named by username; the applicant is the case's citizen.
#   ("review", staff)                      start the review
#   ("return", staff, [missing...], text)  return for completion
#   ("complete", text)                     the citizen sends the completed request (same answers)
#   ("approve"|"issue_act"|"close", staff)
#   ("reject", staff, reasons)
#   ("withdraw",)                          by the citizen
#   ("assign", staff, assignee)
#   ("note", staff, text)                  internal note
#   ("staff_says", staff, text)            message from staff
#   ("citizen_says", text[, "png"])        message from the citizen (with a picture)
#   ("rate", stars, comment)
Step = tuple[Any, ...]


@dataclass(frozen=True)
class Counter:
    """A request filed at the counter for someone without an account."""

    name: str
    phone: str
    staff: str
    language: str = "ar"


@dataclass(frozen=True)
class DemoCase:
    n: int
    procedure: str
    data: dict[str, Any]
    steps: tuple[Step, ...] = ()
    counter: Counter | None = None
    files: tuple[tuple[str, str, str], ...] = ()  # (field or doc__code, "pdf" | "png", file name)
    # Submitted this many days ago (the services date everything now; moved back afterwards, see _age).
    age_days: int = 0


def birth(name: str, born: str, kind: str = "extract", copies: int = 1) -> dict[str, Any]:
    return {"person_name": name, "event_date": born, "copy_kind": kind, "copies": copies}


def death(name: str, died: str, kind: str = "extract", copies: int = 1) -> dict[str, Any]:
    return {"person_name": name, "event_date": died, "copy_kind": kind, "copies": copies}


def residence(arrondissement: str, address: str, purpose: str = "work") -> dict[str, Any]:
    return {"arrondissement": arrondissement, "address": address, "cin": "AB123456", "since": "2016-09-01",
            "purpose": purpose, "household": 4, "owner": "no"}


def hygiene(arrondissement: str, name: str, kind: str, staff: int) -> dict[str, Any]:
    return {"establishment": name, "kind": kind, "arrondissement": arrondissement,
            "address": "زنقة الأمل، رقم 14", "staff": staff}


def copy(title: str, pages: int, copies: int) -> dict[str, Any]:
    return {"document_title": title, "pages": pages, "copies": copies}


# Arrondissements are named by slug in the data and replaced by their id when the case is filed.
A, H, R, C, D, P = ("extrait-acte-naissance", "attestation-hygiene-local-alimentaire", "certificat-residence",
                    "copie-conforme", "extrait-acte-deces", "permis-construire")
MISSING_PROOF = "فاتورة ماء أو كهرباء حديثة (أقل من ثلاثة أشهر) تحمل عنوانك"

SALE: tuple[DemoCase, ...] = (
    DemoCase(1, A, birth("فاطمة الزهراء بناني", "1991-03-14", copies=2)),
    DemoCase(2, A, birth("آدم بناني", "2019-07-02", "full"), age_days=1,
             steps=(("review", SALE_AGENT), ("assign", SALE_HEAD, SALE_AGENT))),
    DemoCase(3, D, death("محمد الوزاني", "2026-10-30"),
             counter=Counter("محمد الوزاني الابن", "0661234501", SALE_AGENT)),
    DemoCase(4, R, residence("bettana", "حي بطانة، زنقة 7، رقم 21"),
             files=(("doc__proof", "pdf", "facture-electricite.pdf"),),
             steps=(("citizen_says", "أرفقت صورة واجهة المنزل إن كانت تفيد.", "png"),)),
    DemoCase(5, R, residence("hssaine", "حي احصين، زنقة 12، رقم 3", "bank"), age_days=2,
             files=(("doc__proof", "pdf", "contrat-bail.pdf"),),
             steps=(("review", SALE_AGENT),
                    ("return", SALE_AGENT, [MISSING_PROOF], "عقد الكراء المرفق منتهي الصلاحية."))),
    DemoCase(6, A, birth("سلمى بناني", "2015-11-20"), age_days=3,
             steps=(("return", SALE_AGENT, ["رقم الرسم كما يظهر في الدفتر العائلي"], ""),
                    ("complete", "رقم الرسم هو 1452 لسنة 2015."), ("assign", SALE_HEAD, SALE_AGENT))),
    DemoCase(7, D, death("الحاج أحمد بناني", "2026-09-12", "full", 2), age_days=4,
             steps=(("review", SALE_AGENT), ("return", SALE_AGENT, ["تاريخ الوفاة كما في شهادة الوفاة"], ""),
                    ("complete", ""), ("approve", SALE_HEAD))),
    DemoCase(8, A, birth("فاطمة الزهراء بناني", "1991-03-14", "full"), age_days=2,
             steps=(("review", SALE_AGENT), ("approve", SALE_AGENT))),
    DemoCase(9, A, birth("يوسف بناني", "2012-01-09", copies=3), age_days=5,
             steps=(("review", SALE_AGENT), ("approve", SALE_AGENT), ("issue_act", SALE_AGENT))),
    DemoCase(10, A, birth("مريم بناني", "1994-05-30"), age_days=9,
             steps=(("review", SALE_AGENT), ("approve", SALE_AGENT), ("issue_act", SALE_AGENT),
                    ("close", SALE_AGENT), ("rate", 5, "خدمة سريعة، شكرا."))),
    DemoCase(11, D, death("عائشة العلوي", "2026-08-03"), age_days=12,
             steps=(("review", SALE_HEAD), ("approve", SALE_HEAD), ("issue_act", SALE_HEAD),
                    ("close", SALE_HEAD), ("rate", 4, ""))),
    DemoCase(12, H, hygiene("tabriquet", "مخبزة النخيل", "bakery", 6), age_days=6,
             steps=(("review", SALE_ADMIN),
                    ("reject", SALE_ADMIN, "لم تستوف المعاينة شروط السلامة الصحية: غياب نقطة ماء صالح للشرب "
                                           "بمكان التحضير وتهوية غير كافية. يمكنكم تقديم طلب جديد بعد الإصلاح."))),
    DemoCase(13, A, birth("حمزة بناني", "1988-02-17"), age_days=3,
             steps=(("review", SALE_AGENT),
                    ("reject", SALE_AGENT, "لا يوجد رسم ولادة بهذا الاسم والتاريخ في سجلات الحالة المدنية لجماعة "
                                           "سلا. المرجو التوجه إلى جماعة مكان الولادة."))),
    DemoCase(14, D, death("عمر العلوي", "2026-11-01"), age_days=2, steps=(("withdraw",),)),
    # Overdue: the certificate was due a working day after it was received, eight days ago.
    DemoCase(16, A, birth("إلياس بناني", "2020-12-24"), age_days=8,
             steps=(("review", SALE_AGENT), ("assign", SALE_HEAD, SALE_AGENT),
                    ("note", SALE_AGENT, "السجل لسنة 2020 عند التجليد؛ طلبت نسخة من الأرشيف."))),
    DemoCase(17, D, death("الحسين لحلو", "2026-10-15"), age_days=6,
             counter=Counter("خديجة لحلو", "0661234502", SALE_AGENT)),
    DemoCase(18, H, hygiene("layayda", "مقهى الواحة", "restaurant", 4), age_days=2,
             steps=(("review", SALE_ADMIN), ("assign", SALE_ADMIN, SALE_ADMIN),
                    ("staff_says", SALE_ADMIN, "ستزور لجنة المكتب الصحي المحل. هل يناسبكم يوم الثلاثاء صباحا؟"),
                    ("citizen_says", "نعم، المحل مفتوح من الثامنة صباحا."))),
    DemoCase(19, A, birth("رشيد بنيس", "1979-06-11"),
             counter=Counter("رشيد بنيس", "0661234503", SALE_AGENT)),
    DemoCase(20, C, copy("Diplôme de baccalauréat", 1, 3),
             counter=Counter("Salma Idrissi", "0661234504", SALE_ADMIN, "fr")),
    DemoCase(21, C, copy("عقد عمل", 4, 2), age_days=7,
             counter=Counter("عبد الله الفاسي", "0661234505", SALE_ADMIN),
             steps=(("approve", SALE_ADMIN), ("issue_act", SALE_ADMIN), ("close", SALE_ADMIN))),
    DemoCase(22, A, birth("نادية بناني", "1985-10-05"), age_days=1,
             steps=(("review", SALE_AGENT),
                    ("staff_says", SALE_AGENT, "هل تطلبون النسخة لأجل ملف إداري بالخارج؟ قد تحتاجون نسخة كاملة."),
                    ("citizen_says", "نعم، لملف تأشيرة. نسخة كاملة من فضلكم."))),
    DemoCase(23, D, death("العربي الفاسي", "2026-07-21", copies=2), age_days=3,
             counter=Counter("زينب الفاسي", "0661234506", SALE_HEAD),
             steps=(("review", SALE_HEAD), ("approve", SALE_HEAD))),
    DemoCase(24, P, {"land_title": "48213/28", "arrondissement": "bab-lamrissa",
                     "address": "تجزئة السلام، بقعة 112", "works": "extension", "floors": 2, "floor_area": 96.5,
                     "architect": "مكتب الهندسة المعمارية بلقاضي"},
             files=(("doc__plans", "pdf", "plans-architecte.pdf"),
                    ("doc__topographic_plan", "pdf", "plan-topographique.pdf")), age_days=5,
             steps=(("review", SALE_ADMIN),
                    ("note", SALE_ADMIN, "أحيل الملف على لجنة الشباك الوحيد، اجتماع الخميس."))),
    # Overdue: received twelve days ago, never opened.
    DemoCase(25, A, birth("كريم التازي", "1999-04-18"), age_days=12,
             counter=Counter("كريم التازي", "0661234507", SALE_AGENT)),
    DemoCase(26, R, residence("tabriquet", "حي تابريكت، شارع الجيش الملكي، رقم 5", "school"), age_days=1,
             files=(("doc__proof", "pdf", "facture-eau.pdf"),), steps=(("assign", SALE_HEAD, SALE_AGENT),)),
    # Delivered: a sealed residence certificate in the citizen's "My documents", its QR code verifiable.
    DemoCase(27, R, residence("bab-lamrissa", "حي سيدي موسى، زنقة المسيرة، رقم 18"), age_days=3,
             files=(("doc__proof", "pdf", "facture-electricite.pdf"),),
             steps=(("review", SALE_AGENT), ("approve", SALE_AGENT), ("issue_act", SALE_AGENT))),
)
SALE_DRAFT = (R, {"arrondissement": "bettana", "address": "حي بطانة، زنقة 7، رقم 21", "purpose": "other"})

TEMARA: tuple[DemoCase, ...] = (
    DemoCase(1, A, birth("Youssef El Idrissi", "1987-08-23")),
    DemoCase(2, A, birth("Ines El Idrissi", "2018-02-11", "full"), age_days=1,
             steps=(("review", TEMARA_AGENT), ("assign", TEMARA_ADMIN, TEMARA_AGENT))),
    DemoCase(3, D, death("Driss El Idrissi", "2026-06-02"), age_days=3,
             steps=(("review", TEMARA_AGENT), ("approve", TEMARA_AGENT))),
    DemoCase(4, A, birth("Amine El Idrissi", "2014-12-01"), age_days=2,
             steps=(("return", TEMARA_AGENT, ["Le numéro de l'acte tel qu'il figure au livret de famille"],
                     "Plusieurs actes portent ce nom cette année-là."),)),
    DemoCase(5, D, death("Zahra Bennis", "2026-05-14", copies=2), age_days=10,
             steps=(("review", TEMARA_AGENT), ("approve", TEMARA_AGENT), ("issue_act", TEMARA_AGENT),
                    ("close", TEMARA_AGENT), ("rate", 5, "Très rapide, merci."))),
    DemoCase(6, A, birth("Youssef Idrissi", "1987-08-23"), age_days=4,
             steps=(("review", TEMARA_AGENT),
                    ("reject", TEMARA_AGENT, "Cet acte est inscrit à l'état civil de Rabat (lieu de naissance) : "
                                             "adressez votre demande à cette commune."),
                    ("close", TEMARA_AGENT))),
    DemoCase(7, A, birth("Hassan Alami", "1970-01-30"),
             counter=Counter("Hassan Alami", "0661234508", TEMARA_AGENT, "fr")),
    # Overdue: received nine days ago, opened, no decision yet.
    DemoCase(8, D, death("Fatima Alami", "2026-09-28"), age_days=9,
             steps=(("review", TEMARA_AGENT),
                    ("staff_says", TEMARA_AGENT, "Nous recherchons l'acte dans les registres de 2026."))),
)


@dataclass
class _Context:
    commune: Commune
    citizen: User
    users: dict[str, User]
    procedures: dict[str, CommuneProcedure]
    arrondissements: dict[str, int] = field(default_factory=dict)


def load_demo_cases(communes: dict[str, Commune], *, write: Callable[[str], Any] | None = None) -> dict[str, int]:
    """Create the demo requests that do not exist yet (inside load_demo's transaction, unscoped); returns how many
    demo requests each commune has (drafts included) and prints one line when `write` is given."""
    usernames = {SALE_CITIZEN, TEMARA_CITIZEN, SALE_AGENT, SALE_HEAD, SALE_ADMIN, TEMARA_AGENT, TEMARA_ADMIN}
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    counts: dict[str, int] = {}
    for slug, citizen, specs, draft in (("sale", SALE_CITIZEN, SALE, SALE_DRAFT),
                                        ("temara", TEMARA_CITIZEN, TEMARA, None)):
        commune = communes.get(slug)
        if commune is None:
            continue
        context = _Context(
            commune=commune, citizen=users[citizen], users=users,
            procedures={p.procedure.slug: p for p in CommuneProcedure.all_communes.filter(commune=commune)
                        .select_related("procedure", "department")},
            arrondissements=dict(Arrondissement.all_communes.filter(commune=commune).values_list("slug", "pk")),
        )
        for spec in specs:
            _demo_case(context, spec)
        if draft is not None:
            _demo_draft(context, *draft)
        counts[slug] = demo_cases(commune).count()
    if write is not None:
        names = {"sale": "Salé", "temara": "Témara"}
        write("Cases: " + ", ".join(f"{count} in {names.get(slug, slug)}" for slug, count in counts.items()))
    return counts


def demo_cases(commune: Commune) -> CaseQuerySet:
    """The commune's demo requests: those with a demo key, and the demo citizen's drafts."""
    return Case.all_communes.filter(commune=commune).filter(
        submission_key__startswith=KEY_PREFIX) | Case.all_communes.filter(
        commune=commune, state=CaseState.DRAFT, citizen__username__in=(SALE_CITIZEN, TEMARA_CITIZEN))


def _answers(context: _Context, data: dict[str, Any]) -> dict[str, Any]:
    answers = dict(data)
    if "arrondissement" in answers:
        answers["arrondissement"] = str(context.arrondissements[answers["arrondissement"]])
    return answers


def _demo_draft(context: _Context, procedure_slug: str, data: dict[str, Any]) -> None:
    procedure = context.procedures[procedure_slug]
    if Case.all_communes.filter(commune=context.commune, citizen=context.citizen, procedure=procedure,
                                state=CaseState.DRAFT).exists():
        return
    services.draft_save(commune=context.commune, citizen=context.citizen, procedure=procedure,
                        data=_answers(context, data))


def _demo_case(context: _Context, spec: DemoCase) -> None:
    counter = spec.counter
    key = f"{COUNTER_KEY_PREFIX if counter else KEY_PREFIX}{spec.n}"
    existing = Case.all_communes.filter(commune=context.commune, submission_key=key)
    existing = existing.filter(citizen__isnull=True) if counter else existing.filter(citizen=context.citizen)
    if existing.exists():
        return
    users = context.users
    data = _answers(context, spec.data)
    case = services.case_submit(
        commune=context.commune, procedure=context.procedures[spec.procedure], data=data,
        files=[(name, _upload(kind, filename)) for name, kind, filename in spec.files],
        citizen=None if counter else context.citizen,
        channel=CaseChannel.COUNTER if counter else CaseChannel.ONLINE, submission_key=key,
        applicant_name=counter.name if counter else "", applicant_phone=counter.phone if counter else "",
        language=counter.language if counter else None, actor=users[counter.staff] if counter else None,
    )
    citizen = context.citizen
    for step in spec.steps:
        action, *args = step
        if action == "review":
            services.case_transition(case=case, name="start_review", actor=users[args[0]], by_staff=True)
        elif action == "return":
            services.case_transition(case=case, name="return", actor=users[args[0]], by_staff=True,
                                     missing=args[1], public_text=args[2])
        elif action == "complete":
            services.case_complete(case=case, citizen=citizen, data=data, public_text=args[0])
        elif action in ("approve", "issue_act", "close"):
            services.case_transition(case=case, name=action, actor=users[args[0]], by_staff=True)
        elif action == "reject":
            services.case_transition(case=case, name="reject", actor=users[args[0]], by_staff=True,
                                     public_text=args[1])
        elif action == "withdraw":
            services.case_transition(case=case, name="withdraw", actor=citizen, by_staff=False)
        elif action == "assign":
            services.case_assign(cases=[case], assignee=users[args[1]], actor=users[args[0]])
        elif action == "note":
            services.note_add(case=case, actor=users[args[0]], text=args[1])
        elif action == "staff_says":
            services.message_post(case=case, author=users[args[0]], body=args[1], by_staff=True)
        elif action == "citizen_says":
            files = [("file", _upload("png", "facade.png"))] if len(args) > 1 else []
            services.message_post(case=case, author=citizen, body=args[0], by_staff=False, files=files)
        elif action == "rate":
            services.case_rate(case=case, citizen=citizen, rating=args[0], comment=args[1])
        else:  # pragma: no cover - a typo in the scenarios above
            raise ValueError(f"unknown demo step {action!r}")
    if spec.age_days:
        _age(case, spec.age_days)


def _age(case: Case, days: int) -> None:
    """DEMO DATA ONLY: move a request `days` back in time, as if it had been received then.

    The services date everything now (that is right for real requests and must stay so). For the demo to show
    requests of the past days, and overdue ones, every date of this request (its timeline, messages and files
    included) is moved back by the same amount with queryset updates, and the due date is computed again from the
    new date of receipt with the commune's calendar (for a request that was returned and completed, the resumed due
    date is moved back by the same number of days, to a working day). Nothing else in the platform writes these
    fields this way."""
    delta = timedelta(days=days)
    case.refresh_from_db()
    changes: dict[str, Any] = {}
    for name in ("submitted_at", "returned_at", "completed_at", "decided_at", "act_issued_at", "closed_at"):
        if getattr(case, name) is not None:
            changes[name] = getattr(case, name) - delta
    if case.due_date is not None:
        if case.completed_at is None and case.deadline_amount and case.deadline_unit:
            changes["due_date"] = calendar.due_date(case.commune, changes["submitted_at"], case.deadline_amount,
                                                    case.deadline_unit)
        else:
            changes["due_date"] = calendar.next_working_day(case.commune, case.due_date - delta)
    changes["created_at"] = case.created_at - delta
    Case.all_communes.filter(pk=case.pk).update(**changes)
    for model in (CaseEvent, CaseMessage, Attachment):
        model.all_communes.filter(case=case).update(created_at=F("created_at") - delta)  # type: ignore[attr-defined]
    if case.state in (CaseState.SUBMITTED, CaseState.IN_REVIEW) and case.silence_means_approval:
        if changes.get("due_date", case.due_date) < calendar.local_date(timezone.now()):
            raise ValueError(f"demo request {case.reference}: the daily task would approve it by silence")
