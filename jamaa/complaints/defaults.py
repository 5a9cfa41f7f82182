"""The shared default set of complaint categories a commune starts from (`categories_install_defaults`), with the
departments they go to. A commune then edits its own copy: names, departments, targets, questions, keywords.

Keywords are what people write (Arabic, French, Darija in Arabic and in Latin script): the classifier uses them until
the commune has enough past complaints of its own.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jamaa.complaints.models import Category, ComplaintKind
from jamaa.core.models import Commune, Department

DEPARTMENTS: dict[str, tuple[str, str]] = {
    "hygiene": ("مصلحة حفظ الصحة والنظافة", "Hygiène et propreté"),
    "voirie": ("مصلحة الطرق والشبكات", "Voirie et réseaux"),
    "eclairage": ("مصلحة الإنارة العمومية", "Éclairage public"),
    "espaces-verts": ("مصلحة المساحات الخضراء", "Espaces verts"),
    "police-administrative": ("الشرطة الإدارية", "Police administrative"),
    "relations-usagers": ("مكتب العلاقات مع المرتفقين", "Relations avec les usagers"),
}

SIZE_QUESTION = {"name": "size", "type": "choice", "label": {"ar": "حجم المشكل", "fr": "Ampleur du problème"},
                 "required": False, "choices": [
                     {"value": "small", "label": {"ar": "صغير", "fr": "Petit"}},
                     {"value": "medium", "label": {"ar": "متوسط", "fr": "Moyen"}},
                     {"value": "large", "label": {"ar": "كبير", "fr": "Grand"}}]}
DANGER_QUESTION = {"name": "danger", "type": "yesno",
                   "label": {"ar": "هل يشكل خطرا على المارة؟", "fr": "Est-ce un danger pour les passants ?"},
                   "required": False}

# (code, kind, department, target working days, name_ar, name_fr, keywords, questions, children)
Spec = tuple[str, str, str, int, str, str, str, list[dict[str, Any]], list["Spec"]]

REPORT, GRIEVANCE = ComplaintKind.REPORT, ComplaintKind.GRIEVANCE

DEFAULTS: list[Spec] = [
    ("eclairage", REPORT, "eclairage", 5, "الإنارة العمومية", "Éclairage public",
     "ضوء إنارة مصباح عمود ظلام ظلمة الضو الضوء طافي lampadaire éclairage lumière ampoule poteau noir obscurité "
     "daw dou lampa tafi mtafi", [], [
         ("eclairage-panne", REPORT, "eclairage", 3, "مصباح معطل", "Lampadaire en panne",
          "مصباح معطل طافي مطفي لا يشتغل lampadaire panne éteint grillé daw tafi lampa khasra", [], []),
         ("eclairage-poteau", REPORT, "eclairage", 5, "عمود كهربائي متضرر أو أسلاك عارية",
          "Poteau endommagé ou fils dénudés",
          "عمود مائل سلك أسلاك عارية كهرباء خطر poteau penché fil dénudé câble électrique danger slk kahraba",
          [DANGER_QUESTION], []),
     ]),
    ("dechets", REPORT, "hygiene", 3, "النفايات والنظافة", "Déchets et propreté",
     "أزبال زبل نفايات قمامة حاوية ريحة رائحة وسخ déchets ordures poubelle conteneur saleté odeur zbel zbal "
     "l3fen poubella", [], [
         ("dechets-non-collectes", REPORT, "hygiene", 2, "نفايات غير مجموعة", "Déchets non collectés",
          "أزبال متراكمة لم تجمع الشاحنة ما دازتش ordures non ramassées camion pas passé zbel mtkhcha ma dazch",
          [SIZE_QUESTION], []),
         ("dechets-conteneur", REPORT, "hygiene", 5, "حاوية مكسورة أو ممتلئة", "Conteneur cassé ou plein",
          "حاوية صندوق مكسورة ممتلئة عامرة conteneur bac cassé plein débordé poubella 3amra mhersa", [], []),
         ("dechets-depot-sauvage", REPORT, "hygiene", 5, "رمي عشوائي للأنقاض", "Dépôt sauvage de gravats",
          "أتربة أنقاض ردم بقايا البناء رمي عشوائي gravats dépôt sauvage décharge remblai rdem trab", [SIZE_QUESTION],
          []),
     ]),
    ("voirie", REPORT, "voirie", 10, "الطرق والأرصفة", "Voirie et trottoirs",
     "طريق حفرة زنقة رصيف طروطوار الزفت route chaussée trou nid-de-poule trottoir rue goudron triq 7efra "
     "hfra zan9a trottoir", [], [
         ("voirie-nid-de-poule", REPORT, "voirie", 10, "حفرة في الطريق", "Nid-de-poule",
          "حفرة حفر الطريق مخربة trou nid de poule chaussée abîmée hfra 7ofra triq m5erba",
          [SIZE_QUESTION, DANGER_QUESTION], []),
         ("voirie-trottoir", REPORT, "voirie", 10, "رصيف متضرر", "Trottoir endommagé",
          "رصيف مكسور زليج trottoir cassé dalle bordure trottoir mhres", [], []),
         ("voirie-regard", REPORT, "voirie", 3, "بالوعة مفتوحة أو مختنقة", "Regard ouvert ou bouché",
          "بالوعة قادوس مجاري واد الحار مختنق مفتوح غطاء regard égout bouché ouvert plaque bla3a 9adous "
          "wad l7ar", [DANGER_QUESTION], []),
     ]),
    ("eau", REPORT, "voirie", 2, "تسرب الماء", "Fuite d'eau",
     "ماء تسرب عوام قنوات fuite eau canalisation inondation ma l7a ma kaysil tasarob", [], []),
    ("espaces-verts", REPORT, "espaces-verts", 10, "المساحات الخضراء", "Espaces verts",
     "حديقة شجرة أشجار عشب سقي jardin arbre parc pelouse arrosage jnan chajra", [], [
         ("espaces-verts-arbre", REPORT, "espaces-verts", 5, "شجرة خطيرة أو ساقطة", "Arbre dangereux ou tombé",
          "شجرة طاحت ساقطة مائلة فروع arbre tombé branche penché chajra ta7t", [DANGER_QUESTION], []),
         ("espaces-verts-entretien", REPORT, "espaces-verts", 15, "صيانة حديقة", "Entretien d'un jardin",
          "حديقة مهملة عشب طويل سقي jardin négligé tonte arrosage jnan mhmoul", [], []),
     ]),
    ("bruit", REPORT, "police-administrative", 10, "الضجيج", "Bruit",
     "ضجيج صداع ضوضاء موسيقى ليل bruit tapage nuisance sonore musique nuit sda3 tsda3", [], []),
    ("animaux", REPORT, "hygiene", 5, "الحيوانات الضالة", "Animaux errants",
     "كلاب ضالة كلب قطط حيوانات chiens errants chien chats animaux klab kleb", [], []),
    ("occupation", REPORT, "police-administrative", 15, "احتلال الملك العمومي", "Occupation du domaine public",
     "احتلال الملك العمومي رصيف مقهى كراسي فراشة سلع occupation domaine public terrasse étal marchandise "
     "ferracha mo9ha", [], []),
    ("administration", GRIEVANCE, "relations-usagers", 10, "تظلم من الإدارة", "Réclamation contre l'administration",
     "", [], [
         ("administration-delai", GRIEVANCE, "relations-usagers", 10, "تأخر في معالجة طلب",
          "Retard dans le traitement d'une demande",
          "تأخر طلب ملف انتظار مدة retard dossier demande attente délai t2akhor m3atal", [], []),
         ("administration-refus", GRIEVANCE, "relations-usagers", 10, "رفض غير مبرر", "Refus injustifié",
          "رفض غير مبرر بدون سبب refus injustifié sans motif rfdo", [], []),
         ("administration-accueil", GRIEVANCE, "relations-usagers", 10, "سلوك موظف أو سوء استقبال",
          "Comportement d'un agent ou mauvais accueil",
          "موظف سلوك استقبال سيء رشوة agent comportement accueil impoli corruption mowadaf mouwazaf rachwa", [], []),
         ("administration-service", GRIEVANCE, "relations-usagers", 10, "جودة خدمة", "Qualité d'un service",
          "خدمة شباك موعد طابور انتظار service guichet rendez-vous queue attente chebbak", [], []),
     ]),
]


def _department(commune: Commune, code: str) -> Department:
    department = Department.all_communes.filter(commune=commune, code=code).first()
    if department is None:
        name_ar, name_fr = DEPARTMENTS[code]
        department = Department.all_communes.create(commune=commune, code=code, name_ar=name_ar, name_fr=name_fr)
    return department


@transaction.atomic
def categories_install_defaults(*, commune: Commune) -> int:
    """Copy the default set into the commune (missing departments are created); categories it already has (same code)
    are left as the commune edited them. Returns how many categories were created."""
    created = 0
    position = 0

    def install(spec: Spec, parent: Category | None) -> None:
        nonlocal created, position
        code, kind, department, target, name_ar, name_fr, keywords, questions, children = spec
        position += 1
        category = Category.all_communes.filter(commune=commune, code=code).first()
        if category is None:
            category = Category.all_communes.create(
                commune=commune, parent=parent, kind=kind, code=code, name_ar=name_ar, name_fr=name_fr,
                department=_department(commune, department), target_days=target, questions=questions,
                keywords=keywords, is_public=kind == ComplaintKind.REPORT, position=position,
            )
            created += 1
        for child in children:
            install(child, category)

    for spec in DEFAULTS:
        install(spec, None)
    return created
