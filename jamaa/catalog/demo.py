"""DEMO catalogue: categories, life events and realistic communal procedures of Morocco, adopted by Salé (most of
them, some with shorter deadlines, their own fees and instructions) and Témara (a subset), plus reason templates.

Called by `manage.py load_demo`. Idempotent: every row is matched on its natural key (slug, code, commune) and only
written when something differs. Every procedure is marked `is_demo`: the procedure page says it is demonstration data.
Legal bases name the real texts; fees and deadlines are plausible values, not the official ones of these communes.
Documents asked are only those no administration holds (once-only principle of Law 55-19): never a copy of the
national identity card, a birth certificate or a land title certificate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jamaa.catalog.formdef import validate_definition
from jamaa.catalog.models import (
    DEADLINE_MAX,
    INVESTMENT_DEADLINE_MAX,
    ActKind,
    Category,
    Channel,
    CommuneProcedure,
    DeadlineUnit,
    LifeEvent,
    Procedure,
    RequiredDocument,
)
from jamaa.core.models import Commune, Department


def L(ar: str, fr: str, zgh: str = "") -> dict[str, str]:
    return {"ar": ar, "fr": fr, **({"zgh": zgh} if zgh else {})}


# Tamazight (zgh) is given only where the project's translators already fixed the word (arrondissement, address,
# phone, civil status); elsewhere the pages fall back to Arabic until translators write it.

# Departments the demo procedures need besides those load_demo creates (code, Arabic, French, Tamazight).
EXTRA_DEPARTMENTS = (
    ("hygiene", "المكتب الجماعي لحفظ الصحة", "Bureau communal d'hygiène", ""),
)

CATEGORIES = (
    ("etat-civil", "الحالة المدنية", "État civil", "ⴰⴷⴷⴰⴷ ⴰⵖⵔⵏⴰⵏ"),
    ("certification", "الإشهاد والتصديق على الوثائق", "Certification et légalisation", ""),
    ("urbanisme", "التعمير والبناء", "Urbanisme et construction", ""),
    ("activites-economiques", "الأنشطة الاقتصادية والتجارية", "Activités économiques et commerciales", ""),
    ("domaine-public", "الملك العمومي الجماعي", "Domaine public communal", ""),
    ("sante-hygiene", "الصحة وحفظ الصحة", "Santé et hygiène", ""),
)

LIFE_EVENTS = (
    ("naissance", "ازدياد مولود", "Naissance d'un enfant", ""),
    ("deces", "وفاة قريب", "Décès d'un proche", ""),
    ("demenagement", "الانتقال إلى سكن جديد", "Déménagement", ""),
    ("emploi", "البحث عن عمل", "Recherche d'emploi", ""),
    ("creer-entreprise", "إحداث مقاولة أو محل تجاري", "Créer une entreprise ou un commerce", ""),
    ("construire", "بناء أو توسيع مسكن", "Construire ou agrandir un logement", ""),
)

LAW_55_19 = L("القانون رقم 55.19 المتعلق بتبسيط المساطر والإجراءات الإدارية",
              "Loi n° 55-19 relative à la simplification des procédures et formalités administratives")
LAW_113_14 = L("القانون التنظيمي رقم 113.14 المتعلق بالجماعات", "Loi organique n° 113-14 relative aux communes")
LAW_37_99 = L("القانون رقم 37.99 المتعلق بالحالة المدنية الصادر بتنفيذه الظهير الشريف رقم 1.02.239 بتاريخ 3 أكتوبر "
              "2002، والمرسوم رقم 2.99.665 الصادر في 9 أكتوبر 2002 بتطبيقه",
              "Loi n° 37-99 relative à l'état civil (Dahir n° 1-02-239 du 3 octobre 2002) et son décret "
              "d'application n° 2-99-665 du 9 octobre 2002")
LAW_47_06 = L("القانون رقم 47.06 المتعلق بجبايات الجماعات المحلية والقرار الجبائي للجماعة",
              "Loi n° 47-06 relative à la fiscalité des collectivités locales et arrêté fiscal de la commune")
LAW_12_90 = L("القانون رقم 12.90 المتعلق بالتعمير الصادر بتنفيذه الظهير الشريف رقم 1.92.31 بتاريخ 17 يونيو 1992 "
              "كما تم تغييره وتتميمه بالقانون رقم 66.12",
              "Loi n° 12-90 relative à l'urbanisme (Dahir n° 1-92-31 du 17 juin 1992), modifiée et complétée par "
              "la loi n° 66-12")
DECREE_2_18_475 = L("المرسوم رقم 2.18.475 الصادر في 12 يونيو 2019 بالموافقة على ضابط البناء العام المحدد لشكل وشروط "
                    "تسليم الرخص والوثائق المقررة",
                    "Décret n° 2-18-475 du 12 juin 2019 approuvant le règlement général de construction fixant la "
                    "forme et les conditions de délivrance des autorisations et des pièces administratives")
LAW_57_19 = L("القانون رقم 57.19 المتعلق بنظام الأملاك العقارية للجماعات الترابية",
              "Loi n° 57-19 relative au régime des biens immeubles des collectivités territoriales")
LAW_28_07 = L("القانون رقم 28.07 المتعلق بالسلامة الصحية للمنتجات الغذائية",
              "Loi n° 28-07 relative à la sécurité sanitaire des produits alimentaires")


def legal(*texts: dict[str, str]) -> dict[str, str]:
    return {"ar": "؛ ".join(t["ar"] for t in texts) + ".", "fr": " ; ".join(t["fr"] for t in texts) + "."}


# --- reusable fields ------------------------------------------------------------------------------------------------

ARRONDISSEMENT = {"name": "arrondissement", "type": "arrondissement", "required": True,
                  "label": L("المقاطعة", "Arrondissement", "ⵜⴰⴳⵣⵣⵓⵎⵜ")}
ADDRESS = {"name": "address", "type": "address", "required": True, "max_length": 250,
           "label": L("العنوان", "Adresse", "ⴰⵏⵙⴰ"),
           "help": L("الحي، الزنقة، الرقم", "Quartier, rue, numéro")}
CIN = {"name": "cin", "type": "cin", "required": True, "label": L("رقم البطاقة الوطنية للتعريف", "Numéro de CIN"),
       "help": L("الرقم فقط، لا حاجة إلى نسخة من البطاقة", "Le numéro seulement : aucune copie de la carte n'est "
                 "demandée")}
COPIES = {"name": "copies", "type": "number", "required": True, "min": 1, "max": 10,
          "label": L("عدد النسخ", "Nombre d'exemplaires")}


def record_copy_form(event: str) -> list[dict[str, Any]]:
    """Copy of a birth or death record: the commune holds the register, so nothing is attached."""
    person = L("الاسم الكامل للشخص المعني", "Nom complet de la personne concernée")
    date = L("تاريخ الولادة", "Date de naissance") if event == "birth" else L("تاريخ الوفاة", "Date du décès")
    return [
        {"name": "person_name", "type": "text", "required": True, "min_length": 3, "max_length": 120,
         "label": person},
        {"name": "event_date", "type": "date", "required": True, "date_min": "-120y", "date_max": "today",
         "label": date},
        {"name": "record_number", "type": "text", "required": False, "max_length": 10, "pattern": "^[0-9]{1,6}$",
         "pattern_message": L("رقم الرسم أرقام فقط (6 على الأكثر)", "Le numéro d'acte ne contient que des chiffres "
                              "(6 au plus)"),
         "label": L("رقم الرسم", "Numéro de l'acte"),
         "help": L("إن كنت تعرفه، كما يظهر في الدفتر العائلي", "Si vous le connaissez, tel qu'il figure au livret "
                   "de famille")},
        {"name": "record_year", "type": "number", "required": False, "min": 1900, "max": 2100,
         "label": L("سنة التسجيل", "Année d'inscription")},
        {"name": "copy_kind", "type": "choice", "required": True, "label": L("نوع النسخة", "Type de copie"),
         "choices": [{"value": "extract", "label": L("نسخة موجزة", "Extrait")},
                     {"value": "full", "label": L("نسخة كاملة", "Copie intégrale")}]},
        COPIES,
    ]


@dataclass(frozen=True)
class DemoDocument:
    code: str
    name: dict[str, str]
    help: dict[str, str] = field(default_factory=dict)
    required: bool = True


@dataclass(frozen=True)
class DemoProcedure:
    slug: str
    category: str
    name: dict[str, str]
    description: dict[str, str]
    legal_basis: dict[str, str]
    deadline: int
    department: str
    act_kind: str
    form: list[dict[str, Any]]
    fees: Decimal = Decimal("0")
    unit: str = DeadlineUnit.WORKING
    silence_means_approval: bool = False
    investment: bool = False
    channel: str = Channel.BOTH
    life_events: tuple[str, ...] = ()
    documents: tuple[DemoDocument, ...] = ()


PROCEDURES: tuple[DemoProcedure, ...] = (
    DemoProcedure(
        slug="certificat-residence", category="etat-civil",
        name=L("شهادة السكنى", "Certificat de résidence"),
        description=L(
            "تثبت مكان سكن الطالب داخل تراب الجماعة. تطلب غالبا في ملفات التشغيل والتمدرس والبنك.",
            "Atteste le lieu de résidence du demandeur sur le territoire de la commune. Souvent demandé pour un "
            "dossier d'emploi, de scolarité ou de banque."),
        legal_basis=legal(LAW_55_19, LAW_113_14), deadline=5, department="etat-civil",
        act_kind=ActKind.RESIDENCE_CERTIFICATE, life_events=("demenagement", "emploi"),
        form=[
            ARRONDISSEMENT, ADDRESS, CIN,
            {"name": "since", "type": "date", "required": True, "date_min": "-100y", "date_max": "today",
             "label": L("تاريخ بداية السكن بهذا العنوان", "Résident à cette adresse depuis le")},
            {"name": "purpose", "type": "choice", "required": True, "label": L("الغرض من الشهادة", "Motif"),
             "choices": [{"value": "work", "label": L("التشغيل", "Emploi")},
                         {"value": "school", "label": L("الدراسة", "Études")},
                         {"value": "bank", "label": L("البنك", "Banque")},
                         {"value": "other", "label": L("غرض آخر", "Autre")}]},
            {"name": "purpose_other", "type": "text", "required": True, "max_length": 120,
             "show_if": {"field": "purpose", "equals": "other"}, "label": L("حدد الغرض", "Précisez le motif")},
            {"name": "household", "type": "number", "required": False, "min": 1, "max": 30,
             "label": L("عدد أفراد الأسرة", "Personnes au foyer")},
            {"name": "owner", "type": "yesno", "required": True,
             "label": L("هل أنت مالك المسكن؟", "Êtes-vous propriétaire du logement ?")},
        ],
        documents=(
            DemoDocument("proof", L("إثبات السكن", "Justificatif de domicile"),
                         L("فاتورة ماء أو كهرباء لا يتجاوز تاريخها ثلاثة أشهر، أو عقد كراء",
                           "Facture d'eau ou d'électricité de moins de trois mois, ou contrat de bail")),
        ),
    ),
    DemoProcedure(
        slug="extrait-acte-naissance", category="etat-civil",
        name=L("نسخة من رسم الولادة", "Extrait ou copie intégrale d'acte de naissance"),
        description=L(
            "نسخة موجزة أو كاملة من رسم ولادة مسجل بسجلات الحالة المدنية للجماعة.",
            "Extrait ou copie intégrale d'un acte de naissance inscrit aux registres d'état civil de la commune."),
        legal_basis=legal(LAW_37_99), deadline=2, department="etat-civil", act_kind=ActKind.BIRTH_RECORD_COPY,
        life_events=("naissance", "emploi"), form=record_copy_form("birth"),
    ),
    DemoProcedure(
        slug="extrait-acte-deces", category="etat-civil",
        name=L("نسخة من رسم الوفاة", "Extrait d'acte de décès"),
        description=L("نسخة من رسم وفاة مسجل بسجلات الحالة المدنية للجماعة.",
                      "Copie d'un acte de décès inscrit aux registres d'état civil de la commune."),
        legal_basis=legal(LAW_37_99), deadline=2, department="etat-civil", act_kind=ActKind.OTHER,
        life_events=("deces",), form=record_copy_form("death"),
    ),
    DemoProcedure(
        slug="permis-inhumer", category="sante-hygiene",
        name=L("رخصة الدفن", "Permis d'inhumer"),
        description=L(
            "رخصة دفن شخص متوفى بمقبرة الجماعة، تسلم بعد معاينة الوفاة من طرف المكتب الجماعي لحفظ الصحة.",
            "Autorisation d'inhumer une personne décédée dans un cimetière de la commune, délivrée après le "
            "constat du décès par le bureau communal d'hygiène."),
        legal_basis=legal(LAW_37_99, LAW_113_14), deadline=1, department="hygiene",
        act_kind=ActKind.BURIAL_PERMIT, life_events=("deces",),
        form=[
            {"name": "deceased_name", "type": "text", "required": True, "min_length": 3, "max_length": 120,
             "label": L("الاسم الكامل للمتوفى", "Nom complet du défunt")},
            {"name": "death_date", "type": "date", "required": True, "date_min": "-30d", "date_max": "today",
             "label": L("تاريخ الوفاة", "Date du décès")},
            {"name": "death_place", "type": "choice", "required": True, "label": L("مكان الوفاة", "Lieu du décès"),
             "choices": [{"value": "home", "label": L("في المنزل", "Au domicile")},
                         {"value": "hospital", "label": L("في المستشفى أو المصحة", "À l'hôpital ou en clinique")},
                         {"value": "other", "label": L("مكان آخر", "Autre lieu")}]},
            {"name": "cemetery", "type": "text", "required": True, "max_length": 120,
             "label": L("المقبرة", "Cimetière")},
            {"name": "relation", "type": "choice", "required": True,
             "label": L("صلتك بالمتوفى", "Votre lien avec le défunt"),
             "choices": [{"value": "child", "label": L("ابن أو ابنة", "Enfant")},
                         {"value": "spouse", "label": L("زوج أو زوجة", "Conjoint")},
                         {"value": "parent", "label": L("أب أو أم", "Parent")},
                         {"value": "other", "label": L("قريب آخر", "Autre proche")}]},
        ],
        documents=(
            DemoDocument("death_notice", L("شهادة طبية تثبت الوفاة", "Certificat médical constatant le décès"),
                         L("يسلمها الطبيب الذي عاين الوفاة", "Délivré par le médecin qui a constaté le décès")),
        ),
    ),
    DemoProcedure(
        slug="legalisation-signature", category="certification",
        name=L("تصحيح الإمضاء", "Légalisation de signature"),
        description=L(
            "الإشهاد على صحة إمضاء الطالب على وثيقة. يوقع المعني بالأمر أمام الموظف المختص ببطاقته الوطنية؛ "
            "الطلب عبر الإنترنت يهيئ الملف ويختصر الانتظار.",
            "Certification de la signature du demandeur sur un document. La personne signe devant l'agent, "
            "munie de sa CIN ; la demande en ligne prépare le dossier et réduit l'attente."),
        legal_basis=legal(LAW_113_14, LAW_47_06), deadline=1, department="legalisation",
        act_kind=ActKind.SIGNATURE_LEGALISATION, fees=Decimal("2.00"),
        life_events=("emploi", "creer-entreprise"),
        form=[
            {"name": "document_kind", "type": "choice", "required": True,
             "label": L("نوع الوثيقة", "Nature du document"),
             "choices": [{"value": "lease", "label": L("عقد كراء", "Contrat de bail")},
                         {"value": "commitment", "label": L("التزام", "Engagement")},
                         {"value": "power", "label": L("وكالة", "Procuration")},
                         {"value": "other", "label": L("وثيقة أخرى", "Autre document")}]},
            {"name": "document_other", "type": "text", "required": True, "max_length": 120,
             "show_if": {"field": "document_kind", "equals": "other"},
             "label": L("حدد نوع الوثيقة", "Précisez la nature du document")},
            {"name": "signatories", "type": "number", "required": True, "min": 1, "max": 5,
             "label": L("عدد الموقعين", "Nombre de signataires")},
            COPIES,
        ],
        documents=(
            DemoDocument("document", L("الوثيقة المراد تصحيح الإمضاء عليها", "Document à légaliser"),
                         L("غير موقعة: توقع أمام الموظف", "Non signé : vous signez devant l'agent")),
        ),
    ),
    DemoProcedure(
        slug="copie-conforme", category="certification",
        name=L("الإشهاد على مطابقة النسخ لأصولها", "Certification conforme de copies"),
        description=L("الإشهاد على مطابقة نسخ وثيقة لأصلها. يقدم الأصل بالشباك عند التسلم.",
                      "Certification que des copies sont conformes à l'original, présenté au guichet au retrait."),
        legal_basis=legal(LAW_113_14, LAW_47_06), deadline=1, department="legalisation",
        act_kind=ActKind.OTHER, fees=Decimal("2.00"), channel=Channel.COUNTER, life_events=("emploi",),
        form=[
            {"name": "document_title", "type": "text", "required": True, "max_length": 120,
             "label": L("عنوان الوثيقة", "Intitulé du document")},
            {"name": "pages", "type": "number", "required": True, "min": 1, "max": 50,
             "label": L("عدد الصفحات", "Nombre de pages")},
            COPIES,
        ],
    ),
    DemoProcedure(
        slug="certificat-vie", category="etat-civil",
        name=L("شهادة الحياة", "Certificat de vie"),
        description=L("تثبت أن الشخص على قيد الحياة، تطلبها صناديق التقاعد.",
                      "Atteste que la personne est en vie ; demandé par les caisses de retraite."),
        legal_basis=legal(LAW_55_19, LAW_113_14), deadline=2, department="etat-civil",
        act_kind=ActKind.LIFE_CERTIFICATE,
        form=[
            CIN,
            {"name": "fund", "type": "choice", "required": True, "label": L("الجهة الطالبة", "Organisme demandeur"),
             "choices": [{"value": "cnss", "label": L("الصندوق الوطني للضمان الاجتماعي", "CNSS")},
                         {"value": "cmr", "label": L("الصندوق المغربي للتقاعد", "CMR")},
                         {"value": "rcar", "label": L("النظام الجماعي لمنح رواتب التقاعد", "RCAR")},
                         {"value": "other", "label": L("جهة أخرى", "Autre organisme")}]},
            {"name": "fund_other", "type": "text", "required": True, "max_length": 120,
             "show_if": {"field": "fund", "equals": "other"}, "label": L("حدد الجهة", "Précisez l'organisme")},
        ],
    ),
    DemoProcedure(
        slug="permis-construire", category="urbanisme",
        name=L("رخصة البناء", "Permis de construire"),
        description=L(
            "رخصة لبناء مسكن جديد أو توسيعه أو تعليته. يعد سكوت الإدارة بعد انصرام الأجل بمثابة موافقة. تؤدى "
            "الرسوم على عمليات البناء حسب المساحة المغطاة بعد الموافقة.",
            "Autorisation de construire, d'agrandir ou de surélever un logement. Le silence de l'administration "
            "à l'échéance vaut accord. La taxe sur les opérations de construction, calculée sur la surface "
            "couverte, est payée après l'accord."),
        legal_basis=legal(LAW_12_90, DECREE_2_18_475, LAW_47_06), deadline=30, unit=DeadlineUnit.CALENDAR,
        silence_means_approval=True, investment=True, department="urbanisme", act_kind=ActKind.BUILDING_PERMIT,
        channel=Channel.ONLINE, life_events=("construire",),
        form=[
            {"name": "land_title", "type": "text", "required": True, "max_length": 20,
             "pattern": "^[0-9]{1,8}(/[0-9]{1,3})?$",
             "pattern_message": L("مثال: 12345/28", "Par exemple : 12345/28"),
             "label": L("رقم الرسم العقاري", "Numéro du titre foncier"),
             "help": L("تطلب الجماعة شهادة الملكية مباشرة من المحافظة العقارية",
                       "La commune obtient elle-même le certificat de propriété auprès de la conservation "
                       "foncière")},
            ARRONDISSEMENT, ADDRESS,
            {"name": "works", "type": "choice", "required": True, "label": L("طبيعة الأشغال", "Nature des travaux"),
             "choices": [{"value": "new", "label": L("بناء جديد", "Construction neuve")},
                         {"value": "extension", "label": L("توسيع", "Extension")},
                         {"value": "raise", "label": L("تعلية", "Surélévation")}]},
            {"name": "floors", "type": "number", "required": True, "min": 1, "max": 10,
             "label": L("عدد الطوابق", "Nombre de niveaux")},
            {"name": "floor_area", "type": "number", "required": True, "min": 10, "max": 10000, "step": 0.01,
             "label": L("المساحة المغطاة (م²)", "Surface couverte (m²)")},
            {"name": "architect", "type": "text", "required": True, "max_length": 120,
             "label": L("اسم المهندس المعماري", "Nom de l'architecte")},
            {"name": "description", "type": "textarea", "required": False, "max_length": 1000,
             "label": L("وصف المشروع", "Description du projet")},
        ],
        documents=(
            DemoDocument("plans", L("التصاميم المعمارية الموقعة من طرف المهندس المعماري",
                                    "Plans architecturaux signés par l'architecte")),
            DemoDocument("topographic_plan", L("التصميم الطبوغرافي المنجز من طرف مهندس مساح طبوغرافي",
                                               "Plan topographique établi par un ingénieur géomètre-topographe")),
            DemoDocument("structure_study", L("دراسة الخرسانة المسلحة", "Étude de béton armé"),
                         L("إلزامية ابتداء من طابقين", "Obligatoire à partir de deux niveaux"), required=False),
        ),
    ),
    DemoProcedure(
        slug="permis-habiter", category="urbanisme",
        name=L("رخصة السكن", "Permis d'habiter"),
        description=L(
            "تسلم بعد انتهاء أشغال البناء ومعاينة مطابقتها للرخصة. يعد سكوت الإدارة بعد انصرام الأجل بمثابة "
            "موافقة.",
            "Délivré à l'achèvement des travaux après vérification de leur conformité au permis de construire. Le "
            "silence de l'administration à l'échéance vaut accord."),
        legal_basis=legal(LAW_12_90, DECREE_2_18_475), deadline=30, unit=DeadlineUnit.CALENDAR,
        silence_means_approval=True, investment=True, department="urbanisme", act_kind=ActKind.HABITATION_PERMIT,
        channel=Channel.ONLINE, life_events=("construire",),
        form=[
            {"name": "permit_number", "type": "text", "required": True, "max_length": 30,
             "label": L("رقم رخصة البناء", "Numéro du permis de construire")},
            {"name": "permit_date", "type": "date", "required": True, "date_min": "-10y", "date_max": "today",
             "label": L("تاريخ رخصة البناء", "Date du permis de construire")},
            {"name": "completion_date", "type": "date", "required": True, "date_min": "-5y", "date_max": "today",
             "label": L("تاريخ انتهاء الأشغال", "Date d'achèvement des travaux")},
            ARRONDISSEMENT, ADDRESS,
            {"name": "units", "type": "number", "required": True, "min": 1, "max": 200,
             "label": L("عدد الوحدات السكنية", "Nombre de logements")},
            {"name": "changes", "type": "yesno", "required": True,
             "label": L("هل أدخلت تغييرات على التصاميم المرخصة؟", "Avez-vous modifié les plans autorisés ?")},
            {"name": "changes_detail", "type": "textarea", "required": True, "max_length": 1000,
             "show_if": {"field": "changes", "equals": True},
             "label": L("صف التغييرات", "Décrivez les modifications")},
            {"name": "facade_photo", "type": "file", "required": False,
             "label": L("صورة الواجهة", "Photo de la façade")},
        ],
        documents=(
            DemoDocument("completion_certificate",
                         L("شهادة انتهاء الأشغال مسلمة من طرف المهندس المعماري",
                           "Certificat d'achèvement des travaux délivré par l'architecte")),
        ),
    ),
    DemoProcedure(
        slug="autorisation-activite-commerciale", category="activites-economiques",
        name=L("رخصة مزاولة نشاط تجاري", "Autorisation d'exercer une activité commerciale"),
        description=L(
            "رخصة فتح محل تجاري أو مهني واستغلاله داخل تراب الجماعة، بعد المعاينة عند الاقتضاء.",
            "Autorisation d'ouvrir et d'exploiter un local commercial ou professionnel sur le territoire de la "
            "commune, après visite si nécessaire."),
        legal_basis=legal(LAW_113_14, LAW_47_06, LAW_55_19), deadline=30, unit=DeadlineUnit.CALENDAR,
        investment=True, department="affaires-economiques", act_kind=ActKind.COMMERCIAL_AUTHORISATION,
        fees=Decimal("150.00"), life_events=("creer-entreprise",),
        form=[
            CIN,
            {"name": "trade_name", "type": "text", "required": True, "max_length": 120,
             "label": L("الاسم التجاري", "Nom commercial")},
            {"name": "activity", "type": "choice", "required": True, "label": L("النشاط", "Activité"),
             "choices": [{"value": "grocery", "label": L("بقالة", "Épicerie")},
                         {"value": "cafe", "label": L("مقهى أو مطعم", "Café ou restaurant")},
                         {"value": "hairdresser", "label": L("حلاقة وتجميل", "Coiffure et esthétique")},
                         {"value": "clothing", "label": L("بيع الملابس", "Vente de vêtements")},
                         {"value": "phone", "label": L("الهواتف والإصلاح", "Téléphonie et réparation")},
                         {"value": "bakery", "label": L("مخبزة أو حلويات", "Boulangerie ou pâtisserie")},
                         {"value": "other", "label": L("نشاط آخر", "Autre activité")}]},
            {"name": "activity_other", "type": "text", "required": True, "max_length": 120,
             "show_if": {"field": "activity", "equals": "other"}, "label": L("حدد النشاط", "Précisez l'activité")},
            ARRONDISSEMENT, ADDRESS,
            {"name": "shop_area", "type": "number", "required": True, "min": 4, "max": 5000, "step": 0.01,
             "label": L("مساحة المحل (م²)", "Surface du local (m²)")},
            {"name": "opening_date", "type": "date", "required": False, "date_min": "today", "date_max": "+1y",
             "label": L("تاريخ الافتتاح المتوقع", "Date d'ouverture prévue")},
            {"name": "sign", "type": "yesno", "required": True,
             "label": L("هل ستضع لوحة إشهارية؟", "Prévoyez-vous une enseigne ?")},
            {"name": "phone", "type": "text", "required": False, "max_length": 10, "pattern": "^0[5-7][0-9]{8}$",
             "autocomplete": "tel",
             "pattern_message": L("رقم من 10 أرقام يبدأ ب 05 أو 06 أو 07",
                                  "Un numéro à 10 chiffres commençant par 05, 06 ou 07"),
             "label": L("هاتف المحل", "Téléphone du local", "ⴰⵜⵉⵍⵉⴼⵓⵏ")},
        ],
        documents=(
            DemoDocument("premises_title", L("سند استغلال المحل", "Titre d'occupation du local"),
                         L("عقد الكراء أو عقد الملكية", "Contrat de bail ou acte de propriété")),
            DemoDocument("premises_plan", L("تصميم المحل", "Plan du local"), required=False),
        ),
    ),
    DemoProcedure(
        slug="occupation-domaine-public", category="domaine-public",
        name=L("رخصة الاحتلال المؤقت للملك العمومي الجماعي", "Occupation temporaire du domaine public communal"),
        description=L(
            "رخصة لاستغلال جزء من الرصيف أو الساحة العمومية مؤقتا (ترّاس، ورش بناء، عرض سلع). يؤدى رسم الاحتلال "
            "المؤقت حسب المساحة والمدة.",
            "Autorisation d'utiliser temporairement une partie du trottoir ou d'une place (terrasse, chantier, "
            "étalage). La taxe d'occupation temporaire est due selon la surface et la durée."),
        legal_basis=legal(LAW_57_19, LAW_47_06), deadline=30, unit=DeadlineUnit.CALENDAR, investment=True,
        department="affaires-economiques", act_kind=ActKind.OCCUPATION_PERMIT,
        life_events=("creer-entreprise", "construire"),
        form=[
            {"name": "use", "type": "choice", "required": True, "label": L("الغرض", "Usage"),
             "choices": [{"value": "terrace", "label": L("ترّاس مقهى أو مطعم", "Terrasse de café ou restaurant")},
                         {"value": "works", "label": L("ورش بناء", "Chantier")},
                         {"value": "display", "label": L("عرض سلع", "Étalage")}]},
            ARRONDISSEMENT, ADDRESS,
            {"name": "surface", "type": "number", "required": True, "min": 1, "max": 500, "step": 0.5,
             "label": L("المساحة المطلوبة (م²)", "Surface demandée (m²)")},
            {"name": "start_date", "type": "date", "required": True, "date_min": "today", "date_max": "+1y",
             "label": L("تاريخ البداية", "Date de début")},
            {"name": "months", "type": "number", "required": True, "min": 1, "max": 12,
             "label": L("المدة بالأشهر", "Durée en mois")},
        ],
        documents=(
            DemoDocument("sketch", L("رسم يبين المساحة المطلوبة", "Croquis de l'emprise demandée"),
                         L("مع الأبعاد والمسافة المتروكة للراجلين",
                           "Avec les dimensions et le passage laissé aux piétons")),
        ),
    ),
    DemoProcedure(
        slug="attestation-hygiene-local-alimentaire", category="sante-hygiene",
        name=L("شهادة السلامة الصحية لمحل غذائي", "Attestation d'hygiène d'un local alimentaire"),
        description=L(
            "يعاين المكتب الجماعي لحفظ الصحة شروط النظافة والسلامة الصحية بالمحل ثم يسلم الشهادة.",
            "Le bureau communal d'hygiène contrôle l'hygiène et la salubrité du local, puis délivre "
            "l'attestation."),
        legal_basis=legal(LAW_113_14, LAW_28_07), deadline=15, department="hygiene",
        act_kind=ActKind.ADMINISTRATIVE_CERTIFICATE, life_events=("creer-entreprise",),
        form=[
            {"name": "establishment", "type": "text", "required": True, "max_length": 120,
             "label": L("اسم المحل", "Nom de l'établissement")},
            {"name": "kind", "type": "choice", "required": True, "label": L("نوع المحل", "Type d'établissement"),
             "choices": [{"value": "restaurant", "label": L("مطعم أو مقهى", "Restaurant ou café")},
                         {"value": "bakery", "label": L("مخبزة", "Boulangerie")},
                         {"value": "butcher", "label": L("محل جزارة", "Boucherie")},
                         {"value": "grocery", "label": L("بقالة", "Épicerie")}]},
            ARRONDISSEMENT, ADDRESS,
            {"name": "staff", "type": "number", "required": True, "min": 1, "max": 500,
             "label": L("عدد العاملين", "Nombre d'employés")},
            {"name": "visit_from", "type": "date", "required": False, "date_min": "+2d", "date_max": "+60d",
             "label": L("المعاينة ممكنة ابتداء من", "Visite possible à partir du")},
        ],
    ),
)

# slug: (deadline, fees, instructions in Arabic, in French); None keeps the catalogue's value.
SALE_ADOPTIONS: dict[str, tuple[int | None, Decimal | None, str, str]] = {
    "certificat-residence": (3, None, "تسلم الشهادة بالملحقة الإدارية للمقاطعة التي تسكن بها.",
                             "Le certificat est remis à l'annexe de votre arrondissement."),
    "extrait-acte-naissance": (1, None, "", ""),
    "extrait-acte-deces": (1, None, "", ""),
    "permis-inhumer": (None, None, "المكتب الجماعي لحفظ الصحة مفتوح أيام العطل من 9 إلى 12.",
                       "Le bureau communal d'hygiène est ouvert les jours fériés de 9 h à 12 h."),
    "legalisation-signature": (None, None, "أحضر بطاقتك الوطنية ووقع أمام الموظف.",
                               "Présentez votre CIN et signez devant l'agent."),
    "copie-conforme": (None, None, "", ""),
    "permis-construire": (20, None, "يدرس الملف بالشباك الوحيد للتعمير.",
                          "Le dossier est instruit par le guichet unique de l'urbanisme."),
    "permis-habiter": (20, None, "", ""),
    "autorisation-activite-commerciale": (15, Decimal("100.00"),
                                          "قد تزور لجنة مختلطة المحل قبل تسليم الرخصة.",
                                          "Une commission mixte peut visiter le local avant l'autorisation."),
    "occupation-domaine-public": (None, None, "", ""),
    "attestation-hygiene-local-alimentaire": (10, None, "", ""),
}
TEMARA_ADOPTIONS: dict[str, tuple[int | None, Decimal | None, str, str]] = {
    "certificat-residence": (None, None, "", ""),
    "extrait-acte-naissance": (None, None, "", ""),
    "extrait-acte-deces": (None, None, "", ""),
    "permis-inhumer": (None, None, "", ""),
    "legalisation-signature": (None, None, "", ""),
    "permis-construire": (None, None, "", ""),
}
# certificat-vie is adopted by nobody: it is in the national catalogue only.

REASON_TEMPLATES = (
    ("return", "وثيقة ناقصة", "Document manquant",
     "المرجو إرفاق الوثيقة الناقصة المشار إليها أدناه لنتمكن من دراسة طلبكم.",
     "Merci de joindre le document manquant indiqué ci-dessous pour que nous puissions instruire votre "
     "demande."),
    ("return", "وثيقة غير مقروءة", "Document illisible",
     "الوثيقة المرفقة غير مقروءة. المرجو إرفاق نسخة واضحة.",
     "Le document joint est illisible. Merci d'en joindre une copie nette."),
    ("reject", "خارج النفوذ الترابي للجماعة", "Hors du territoire de la commune",
     "العنوان المصرح به يقع خارج النفوذ الترابي للجماعة، ولا يمكن تلبية الطلب.",
     "L'adresse déclarée se trouve hors du territoire de la commune : la demande ne peut être satisfaite."),
    ("reject", "عدم المطابقة لضوابط التعمير", "Non conforme aux règles d'urbanisme",
     "المشروع غير مطابق لتصميم التهيئة الساري المفعول.",
     "Le projet n'est pas conforme au plan d'aménagement en vigueur."),
    ("approve", "الوثيقة جاهزة", "Document prêt",
     "تمت الموافقة على طلبكم. الوثيقة جاهزة للتسلم.",
     "Votre demande est acceptée. Le document est prêt."),
    ("message", "موعد بالشباك", "Rendez-vous au guichet",
     "المرجو الحضور إلى الشباك مع أصل الوثيقة في أقرب وقت.",
     "Merci de passer au guichet avec l'original du document dès que possible."),
)


def _upsert(manager: Any, lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    from jamaa.core.management.commands.load_demo import upsert

    return upsert(manager, lookup, values)[0]


def check_catalogue() -> None:
    """The demo procedures follow the catalogue's rules (a wrong definition fails loudly, never half-loaded)."""
    for spec in PROCEDURES:
        validate_definition(spec.form)
        limit = INVESTMENT_DEADLINE_MAX if spec.investment else DEADLINE_MAX
        if spec.deadline > limit:
            raise ValueError(f"{spec.slug}: deadline {spec.deadline} > {limit}")


def load_catalogue(communes: dict[str, Commune]) -> None:
    """Create or repair the demo catalogue and the adoptions of the demo communes (inside load_demo's transaction,
    unscoped)."""
    check_catalogue()
    categories = {slug: _upsert(Category.objects, {"slug": slug}, {
        "name_ar": ar, "name_fr": fr, "name_zgh": zgh, "position": position})
        for position, (slug, ar, fr, zgh) in enumerate(CATEGORIES, start=1)}
    events = {slug: _upsert(LifeEvent.objects, {"slug": slug}, {
        "name_ar": ar, "name_fr": fr, "name_zgh": zgh, "position": position})
        for position, (slug, ar, fr, zgh) in enumerate(LIFE_EVENTS, start=1)}
    procedures: dict[str, Procedure] = {}
    for spec in PROCEDURES:
        procedure = _upsert(Procedure.objects, {"slug": spec.slug}, {
            "name_ar": spec.name["ar"], "name_fr": spec.name["fr"], "name_zgh": spec.name.get("zgh", ""),
            "description_ar": spec.description["ar"], "description_fr": spec.description["fr"],
            "category": categories[spec.category], "form_definition": spec.form, "fees_mad": spec.fees,
            "legal_basis_ar": spec.legal_basis["ar"], "legal_basis_fr": spec.legal_basis["fr"],
            "deadline_amount": spec.deadline, "deadline_unit": spec.unit,
            "silence_means_approval": spec.silence_means_approval, "is_investment_related": spec.investment,
            "department_code": spec.department, "channel": spec.channel, "act_kind": spec.act_kind,
            "is_active": True, "is_demo": True,
        })
        wanted_events = {events[slug].pk for slug in spec.life_events}
        if set(procedure.life_events.values_list("pk", flat=True)) != wanted_events:
            procedure.life_events.set(wanted_events)
        for position, document in enumerate(spec.documents, start=1):
            _upsert(RequiredDocument.objects, {"procedure": procedure, "code": document.code}, {
                "name_ar": document.name["ar"], "name_fr": document.name["fr"],
                "help_ar": document.help.get("ar", ""), "help_fr": document.help.get("fr", ""),
                "is_required": document.required, "position": position,
            })
        RequiredDocument.objects.filter(procedure=procedure).exclude(
            code__in=[d.code for d in spec.documents]).delete()
        procedures[spec.slug] = procedure

    for slug, adoptions in (("sale", SALE_ADOPTIONS), ("temara", TEMARA_ADOPTIONS)):
        commune = communes.get(slug)
        if commune is None:
            continue
        departments = _departments(commune)
        for procedure_slug, (deadline, fees, instructions_ar, instructions_fr) in adoptions.items():
            procedure = procedures[procedure_slug]
            # A commune without the catalogue's department (Témara has no legalisation office) delivers the
            # procedure from its civil status office.
            department = departments.get(procedure.department_code) or departments["etat-civil"]
            _upsert(CommuneProcedure.all_communes, {"commune": commune, "procedure": procedure}, {
                "department": department, "deadline_amount": deadline, "fees_mad": fees,
                "instructions_ar": instructions_ar, "instructions_fr": instructions_fr, "is_published": True,
            })
        _reason_templates(commune)


def _departments(commune: Commune) -> dict[str, Department]:
    for code, name_ar, name_fr, name_zgh in EXTRA_DEPARTMENTS:
        _upsert(Department.all_communes, {"commune": commune, "code": code}, {
            "name_ar": name_ar, "name_fr": name_fr, "name_zgh": name_zgh, "is_active": True,
            "email": f"{code}@{commune.slug}.example.ma"})
    return {d.code: d for d in Department.all_communes.filter(commune=commune)}


def _reason_templates(commune: Commune) -> None:
    from jamaa.cases.models import ReasonTemplate

    for position, (kind, title_ar, title_fr, text_ar, text_fr) in enumerate(REASON_TEMPLATES, start=1):
        _upsert(ReasonTemplate.all_communes, {"commune": commune, "kind": kind, "position": position}, {
            "title_ar": title_ar, "title_fr": title_fr, "text_ar": text_ar, "text_fr": text_fr, "is_active": True})
