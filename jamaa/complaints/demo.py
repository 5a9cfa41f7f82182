"""DEMO complaints for `make demo`: the complaint categories of Salé and Témara, their outlines, a few answer
templates, about 60 complaints in Salé and 12 in Témara over the past five months, in every state.

Called by `manage.py load_demo`: `prepare_demo_complaints` first (the categories bring the departments the demo
hygiene agent belongs to), then `load_demo_complaints` after the demo requests (some grievances are about them).

Everything goes through the real services (`complaint_submit`, `complaint_transition`, `complaint_support`,
`complaint_merge`, `followup.complaint_rate`, `answer_template_create`, `area_set`, `open311_key_issue`), each with
the moment it happened (`now`), so references, deadlines, timelines, audit entries and notifications are what the
platform makes. The five months are replayed in order with the daily sweeps (`jamaa.complaints.sweeps`) run at 08:00
of every day: the department is reminded before a target date, heads and administrators are told before a legal
date, and uncontested answers close by themselves, as they would have.

The outlines are approximate (drawn by hand from a map, good enough to place a pin in the right arrondissement):
Salé north of the Bouregreg between the Atlantic and its eastern limit, cut into its five arrondissements where they
roughly are — Bab Lamrissa (the medina and the coast to Sidi Moussa) to the west, Bettana along the river, Hssaine
(Sala Al Jadida) to the south-east, Tabriquet in the middle and Layayda to the north-east.

Idempotent: each demo complaint carries the submission key `complaint-demo-<n>`; one that exists is left as it is.
The replay of the sweeps runs only for a commune that had no demo complaint yet (a complaint someone added in the
demo since would otherwise be swept at dates before it was filed).
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from jamaa.cases.models import Case, CaseKind
from jamaa.complaints import followup, services, sweeps
from jamaa.complaints.admin_services import TemplateFields, answer_template_create
from jamaa.complaints.defaults import categories_install_defaults
from jamaa.complaints.models import (
    AnswerTemplate,
    Area,
    Category,
    ClassifierModel,
    Complaint,
    ComplaintChannel,
    Open311Key,
)
from jamaa.complaints.open311_keys import open311_key_issue
from jamaa.core.calendar import CASABLANCA, local_date
from jamaa.core.models import Arrondissement, Commune, User

KEY_PREFIX = "complaint-demo-"
SALE_CITIZEN = "+212612345678"
TEMARA_CITIZEN = "youssef@example.ma"
SALE_ADMIN = "admin@sale.example.ma"
SALE_HYGIENE = "hygiene@sale.example.ma"  # the demo agent of Salé's hygiene department (manage.py load_demo)
TEMARA_ADMIN = "admin@temara.example.ma"
OPEN311_APP = "Salé Nqiya (application mobile)"

# --- outlines (GeoJSON [lon, lat]) ----------------------------------------------------------------------------------

# Points of Salé's outline, named so that the arrondissements share their edges exactly.
_MOUTH = (-6.836, 34.034)  # the Bouregreg's mouth, north bank
_COAST = [(-6.822, 34.050), (-6.800, 34.069), (-6.790, 34.078), (-6.775, 34.090)]
_NORTH = [(-6.770, 34.0896), (-6.750, 34.088), (-6.730, 34.080)]
_EAST = [(-6.728, 34.040), (-6.7294, 34.032), (-6.735, 34.000)]
_RIVER = [(-6.760, 33.992), (-6.770, 33.996), (-6.785, 34.002), (-6.800, 34.010), (-6.815, 34.020),
          (-6.826, 34.027)]
_WEST_LINE = (-6.800, 34.032)  # where Bab Lamrissa, Bettana and Tabriquet meet
_MIDDLE = (-6.770, 34.032)  # where Bettana, Hssaine, Tabriquet and Layayda meet


def _polygon(*points: tuple[float, float]) -> dict[str, Any]:
    ring = [list(p) for p in points]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


SALE_OUTLINE = _polygon(_MOUTH, *_COAST, *_NORTH, *_EAST, *_RIVER)
SALE_ARRONDISSEMENTS: dict[str, dict[str, Any]] = {
    "bab-lamrissa": _polygon(_MOUTH, _COAST[0], _COAST[1], _WEST_LINE, (-6.800, 34.010), (-6.815, 34.020),
                             (-6.826, 34.027)),
    "bettana": _polygon((-6.800, 34.010), _WEST_LINE, _MIDDLE, (-6.770, 33.996), (-6.785, 34.002)),
    "hssaine": _polygon(_MIDDLE, (-6.7294, 34.032), (-6.735, 34.000), (-6.760, 33.992), (-6.770, 33.996)),
    "tabriquet": _polygon(_WEST_LINE, _COAST[1], _COAST[2], _COAST[3], _NORTH[0], _MIDDLE),
    "layayda": _polygon(_MIDDLE, _NORTH[0], _NORTH[1], _NORTH[2], _EAST[0], (-6.7294, 34.032)),
}
TEMARA_OUTLINE = _polygon((-6.950, 33.935), (-6.925, 33.955), (-6.885, 33.945), (-6.878, 33.905),
                          (-6.905, 33.888), (-6.945, 33.895))


@dataclass(frozen=True)
class Place:
    address: str
    lat: float
    lon: float
    arrondissement: str = ""  # the slug the pin must fall in (checked by the tests)


P = Place
PLACES: dict[str, Place] = {
    # Bab Lamrissa
    "BL1": P("باب لمريسة، قرب السور", 34.0336, -6.8183, "bab-lamrissa"),
    "BL2": P("المدينة القديمة، زنقة الصياغين", 34.0362, -6.8230, "bab-lamrissa"),
    "BL3": P("Avenue de Sidi Moussa, près de la plage", 34.0505, -6.8120, "bab-lamrissa"),
    "BL4": P("حي السلام، القطاع 3", 34.0440, -6.8060, "bab-lamrissa"),
    "BL5": P("Bab Sebta, Médina", 34.0385, -6.8155, "bab-lamrissa"),
    # Bettana
    "BT1": P("حي بطانة، زنقة 7", 34.0215, -6.7960, "bettana"),
    "BT2": P("حي الشماعو، قرب المدرسة", 34.0150, -6.7800, "bettana"),
    "BT3": P("Avenue Moulay Ismaïl, Bettana", 34.0265, -6.7880, "bettana"),
    "BT4": P("تجزئة النهضة، بطانة", 34.0240, -6.7750, "bettana"),
    # Hssaine
    "HS1": P("سلا الجديدة، شارع الأمل", 34.0060, -6.7500, "hssaine"),
    "HS2": P("حي كريمة، قرب المسجد", 34.0200, -6.7600, "hssaine"),
    "HS3": P("Sala Al Jadida, secteur C", 34.0120, -6.7420, "hssaine"),
    "HS4": P("حي احصين، زنقة 12", 34.0250, -6.7450, "hssaine"),
    # Tabriquet
    "TB1": P("سوق تابريكت", 34.0450, -6.7900, "tabriquet"),
    "TB2": P("قرية أولاد موسى، الشارع الرئيسي", 34.0560, -6.7850, "tabriquet"),
    "TB3": P("Boulevard de Tabriquet, près du lycée", 34.0400, -6.7780, "tabriquet"),
    "TB4": P("حي الانبعاث، تابريكت", 34.0500, -6.7750, "tabriquet"),
    # Layayda
    "LY1": P("العيايدة، طريق القنيطرة", 34.0600, -6.7550, "layayda"),
    "LY2": P("دوار العيايدة", 34.0700, -6.7450, "layayda"),
    "LY3": P("حي الفتح، العيايدة", 34.0480, -6.7500, "layayda"),
    # Témara (no arrondissements)
    "TM1": P("Avenue Hassan II, Témara", 33.9270, -6.9070),
    "TM2": P("حي الوفاق، تمارة", 33.9050, -6.9250),
    "TM3": P("حي المسيرة، تمارة", 33.9180, -6.9180),
    "TM4": P("Hay Al Maghrib Al Arabi, Témara", 33.9350, -6.9000),
}

# --- the complaints -------------------------------------------------------------------------------------------------

# A step: (days after the complaint was received, action, *arguments), played at 10:00 (plus a few minutes) that day.
#   ("ack",) ("start",) ("close",)        staff moves (the department's agent for hygiene, else the administrator)
#   ("resolve", text) ("reject", text)    staff answers
#   ("reopen", reason)                    the filer says the problem is not solved
#   ("rate", stars, comment)              the filer rates the answer
#   ("support", count)                    that many passers-by back the report
#   ("merge", n)                          staff merge it into demo complaint n
Step = tuple[Any, ...]


@dataclass(frozen=True)
class DemoComplaint:
    n: int
    category: str
    days_ago: int
    text: str
    place: str = ""  # a key of PLACES (reports)
    who: str = "anonymous"  # "citizen" (the commune's demo citizen), "anonymous" or "open311"
    language: str = "ar"
    steps: tuple[Step, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)
    photo: str = ""  # "pothole", "waste" or "lamp"
    related: str = ""  # submission key of a demo request of the same citizen (grievances)
    pin: bool = True  # False: only the typed address
    exact: bool = False  # True: the place itself, not moved a little (duplicates)
    hour: int = 9


C = DemoComplaint
OK_WASTE = "تم جمع النفايات وتنظيف المكان. شكرا على تبليغكم، ويمكنكم إعادة فتح الشكاية إن عاد المشكل."
OK_LAMP = "تم إصلاح المصباح من طرف مصلحة الإنارة العمومية."
OK_LAMP_FR = "Le lampadaire a été réparé par le service de l'éclairage public."
NOT_OURS_WATER = ("تسرب الماء في الشبكة العمومية من اختصاص الشركة الجهوية متعددة الخدمات، وقد أحلنا تبليغكم "
                  "عليها وهي التي ستقوم بالإصلاح.")

SALE: tuple[DemoComplaint, ...] = (
    C(1, "dechets-non-collectes", 150, "الأزبال متراكمة منذ أسبوع في زنقة الصياغين، الرائحة لا تطاق والقطط تبعثرها "
      "في كل مكان.", "BL2", answers={"size": "medium"},
      steps=((1, "ack"), (2, "start"), (3, "resolve", "تم جمع النفايات وتنظيف الزنقة، وأضيفت إلى جولة الشاحنة "
                                                       "اليومية."))),
    C(2, "eclairage-panne", 146, "المصباح العمومي أمام سوق تابريكت مطفأ منذ أكثر من أسبوعين، والمكان مظلم جدا في "
      "الليل.", "TB1", who="citizen", photo="lamp",
      steps=((2, "ack"), (5, "start"), (9, "resolve", OK_LAMP), (11, "rate", 5, "شكرا على السرعة"))),
    C(3, "voirie-nid-de-poule", 140, "Un grand nid-de-poule au milieu de l'avenue Moulay Ismaïl : les voitures font "
      "des écarts dangereux et deux scooters sont déjà tombés.", "BT3", language="fr", photo="pothole",
      answers={"size": "large", "danger": "yes"},
      steps=((3, "ack"), (10, "start"), (5, "support", 4),
             (68, "resolve", "La chaussée a été reprise sur une vingtaine de mètres carrés par l'entreprise chargée "
                             "de l'entretien. Nous regrettons ce délai, dû au marché de travaux."))),
    C(4, "bruit", 138, "كاين واحد المقهى كيخدم الموسيقى بصوت عالي حتى للثلاثة د الليل، ما بقيناش قادرين ننعسو.",
      "BL4", who="citizen",
      steps=((4, "ack"), (6, "start"),
             (20, "resolve", "زارت الشرطة الإدارية المقهى ونبهت صاحبه إلى احترام أوقات الإغلاق ومستوى الصوت."),
             (22, "rate", 3, "تحسن شوية ولكن مازال الصداع نهار السبت"))),
    C(5, "dechets-depot-sauvage", 135, "شاحنات ترمي بقايا البناء على جانب طريق القنيطرة قرب العيايدة، والأكوام "
      "أصبحت تسد نصف الطريق.", "LY1", answers={"size": "large"}, photo="waste",
      steps=((5, "ack"), (12, "start"),
             (30, "resolve", "تمت إزالة الأنقاض ووضعت لوحة تمنع الرمي، وستمر دوريات المراقبة بانتظام."))),
    C(6, "animaux", 131, "kayn bzaf dyal lklab dayrin f l7ay 9rib lmasjid, kayt3arḍo l drari mli kaykhrjo mn "
      "lmdrasa.", "HS2",
      steps=((3, "ack"), (8, "start"),
             (25, "resolve", "تدخل فريق محاربة الحيوانات الضالة بتنسيق مع المكتب الصحي الجماعي."))),
    C(7, "administration-accueil", 128, "Au guichet de la légalisation, on m'a parlé avec mépris et on m'a demandé de "
      "revenir trois fois pour le même papier.", who="citizen", language="fr",
      steps=((6, "ack"),
             (21, "resolve", "Nous avons rappelé au service les règles d'accueil et réorganisé le guichet aux heures "
                             "de pointe. Merci de nous l'avoir signalé."),
             (24, "rate", 4, "Merci pour la réponse."))),
    C(8, "eau", 125, "تسرب كبير للماء من قناة تحت الرصيف منذ ثلاثة أيام، والماء يجري في الشارع.", "HS1",
      steps=((1, "reject", NOT_OURS_WATER),)),
    C(9, "voirie-regard", 121, "Bla3a mftou7a f wst zan9a, bla ghta, chi wa7ed ghadi ytee7 fiha f lil.", "BT1",
      answers={"danger": "yes"},
      steps=((1, "ack"), (2, "start"), (4, "resolve", "تم وضع غطاء جديد للبالوعة."))),
    C(10, "espaces-verts-entretien", 118, "حديقة الحي مهملة: العشب يابس، الكراسي مكسورة، والأطفال لم يعودوا يلعبون "
      "فيها.", "HS3", who="citizen",
      steps=((7, "ack"), (15, "start"),
             (75, "resolve", "أعيدت تهيئة الحديقة: سقي منتظم، تغيير الكراسي المكسورة وتقليم الأشجار."),
             (78, "rate", 2, "جاوبتو من بعد أكثر من شهرين"))),
    C(11, "occupation", 112, "Les commerçants occupent tout le trottoir devant le marché, les piétons marchent sur la "
      "chaussée au milieu des voitures.", "TB1", language="fr",
      steps=((4, "ack"), (9, "start"),
             (40, "resolve", "Une opération de libération du domaine public a été menée avec l'autorité locale ; "
                             "un emplacement a été proposé aux marchands."))),
    C(12, "dechets-conteneur", 108, "الحاوية الكبيرة مكسورة والأزبال كتطيح فالأرض، خاصها تتبدل.", "BT2",
      steps=((2, "ack"), (6, "resolve", "تم تعويض الحاوية المكسورة بحاوية جديدة.")), photo="waste"),
    C(13, "eclairage-poteau", 104, "عمود كهربائي مائل بعد العاصفة والأسلاك ظاهرة قرب مدخل المدرسة، خطر على "
      "التلاميذ.", "LY3", who="citizen", answers={"danger": "yes"},
      steps=((1, "ack"), (1, "start"), (3, "resolve", "تم تثبيت العمود وعزل الأسلاك من طرف مصلحة الإنارة."),
             (4, "rate", 5, "تدخل سريع، شكرا"))),
    C(14, "voirie-trottoir", 99, "Le trottoir est défoncé sur toute la rue, impossible de passer avec une poussette ou "
      "un fauteuil roulant.", "TB3", language="fr",
      steps=((8, "ack"),
             (20, "reject", "Cette rue fait partie du chantier de réaménagement prévu au programme d'action de la "
                            "commune ; les trottoirs seront refaits avec la chaussée au printemps."))),
    C(15, "dechets-non-collectes", 95, "الشاحنة ما دازتش من نهار الجمعة، الزبل عامر الزنقة.", "HS4",
      answers={"size": "large"},
      steps=((1, "ack"), (2, "resolve", OK_WASTE), (6, "reopen", "رجعو الأزبال تاني والشاحنة ما كتدوزش"),
             (7, "start"), (9, "resolve", "غيرنا جولة الشاحنة: صارت تمر كل يوم على الساعة السابعة صباحا."))),
    C(16, "administration-service", 90, "Pour la signature légalisée, il faut faire la queue dès 7 h et la moitié des "
      "gens repartent sans être servis.", who="citizen", language="fr",
      steps=((10, "ack"), (30, "start"),
             (66, "resolve", "Un deuxième guichet de légalisation ouvre désormais les mardis et jeudis matin, et la "
                             "prise de rendez-vous en ligne arrive sur Jamaa."))),
    C(17, "espaces-verts-arbre", 86, "شجرة كبيرة طاحت على السور ديال المدرسة بسبب الريح، والفروع مازالت معلقة.",
      "TB2", answers={"danger": "yes"},
      steps=((0, "ack"), (1, "start"), (2, "resolve", "تمت إزالة الشجرة والفروع الخطيرة."))),
    C(18, "animaux", 82, "قطيع من الكلاب الضالة كيهاجم الناس فالصباح بكري قرب محطة الطوبيس.", "BT4", who="citizen",
      steps=((2, "ack"), (5, "start"),
             (14, "resolve", "تدخل الفريق المختص وتم نقل الكلاب إلى المحجز الجماعي."))),
    C(19, "bruit", 78, "Chantier qui travaille avec des marteaux-piqueurs le dimanche et après 22 h.", "HS3",
      language="fr",
      steps=((3, "ack"),
             (12, "resolve", "Le chantier a reçu un avertissement : travaux bruyants interdits après 20 h et le "
                             "dimanche."))),
    C(20, "dechets-depot-sauvage", 74, "rdem w trab mrmi f terrain khawi 7da dyour, wlla mkan dyal lfirane.", "LY2",
      answers={"size": "medium"},
      steps=((3, "ack"), (9, "start"), (3, "support", 2))),  # still open, past its legal date
    C(21, "voirie-nid-de-poule", 70, "حفرة عميقة أمام باب المدرسة، الأطفال يسقطون فيها عند الخروج.", "BL1",
      who="citizen", exact=True, answers={"size": "medium", "danger": "yes"}, photo="pothole",
      steps=((2, "ack"), (4, "support", 6), (12, "start"))),  # in progress, past its legal date
    C(22, "eclairage-panne", 66, "Zan9a kamla bla daw, les lampadaires tafin mn chhar.", "BT2",
      steps=((3, "ack"), (4, "resolve", OK_LAMP))),
    C(23, "dechets-non-collectes", 63, "الأزبال لم تجمع منذ عيد المولد النبوي في الحي.", "LY3",
      steps=((1, "ack"), (2, "resolve", OK_WASTE))),
    C(24, "occupation", 60, "مقهى وضع الكراسي والطاولات فوق الرصيف كاملا ولم يترك ممرا للراجلين.", "BL5",
      who="citizen",
      steps=((5, "ack"),
             (18, "reject", "المقهى حاصل على رخصة احتلال مؤقت للملك العمومي في حدود مترين، وقد تأكدت المراقبة من "
                            "احترامه لها."),
             (20, "reopen", "الرخصة مترين ولكن الكراسي كتوصل حتى للطريق، دوزو فالليل"), (24, "start"))),
    C(25, "voirie-regard", 57, "Regard d'égout bouché : à chaque pluie la rue est inondée devant les maisons.", "HS4",
      language="fr", answers={"danger": "no"},
      steps=((2, "ack"), (5, "start"), (9, "resolve", "Le regard a été curé et la conduite débouchée."))),
    C(26, "espaces-verts-entretien", 53, "الحديقة ديال الحي ما كيتسقاش والعشب كلو يبس.", "TB4",
      steps=((6, "ack"),)),  # acknowledged, past its target date
    C(27, "dechets-conteneur", 50, "Poubella 3amra w mhersa, kolchi kaylo7 zbel 7dah.", "BL3",
      steps=((2, "ack"), (3, "resolve", "تم تفريغ الحاوية وتعويضها."))),
    C(28, "administration-refus", 47, "رفض الموظف تسلم ملفي لطلب رخصة الربط بالكهرباء بدعوى نقص وثيقة غير مذكورة في "
      "لائحة الوثائق المنشورة.", who="citizen",
      steps=((4, "ack"), (10, "start"),
             (26, "resolve", "تأكدنا أن الوثيقة المطلوبة غير منصوص عليها في المسطرة المنشورة. تم تنبيه المصلحة "
                             "ويمكنكم إيداع ملفكم دون هذه الوثيقة."),
             (27, "rate", 5, "شكرا، تم قبول الملف"))),
    C(29, "eclairage-panne", 44, "Depuis une semaine, tout le boulevard est dans le noir à partir du rond-point.",
      "TB3", language="fr", who="open311",
      steps=((2, "ack"), (3, "support", 3), (7, "resolve", OK_LAMP_FR))),
    C(30, "eau", 41, "الماء كيسيل من الروبيني العمومي ديال الحومة ليل ونهار.", "LY2",
      steps=((2, "reject", NOT_OURS_WATER),)),
    C(31, "voirie-nid-de-poule", 38, "7efra kbira f triq, tomobilat kaytfadawha w kaydkhlo f lmmchat.", "HS1",
      answers={"size": "large", "danger": "yes"},
      steps=((3, "ack"), (8, "start"), (4, "support", 5))),  # in progress
    C(32, "dechets-non-collectes", 35, "النفايات متراكمة قرب السوق منذ ثلاثة أيام.", "TB1", photo="waste",
      answers={"size": "large"}, steps=((1, "ack"), (2, "resolve", OK_WASTE))),
    C(33, "animaux", 32, "Des chats et des chiens morts ne sont pas ramassés près du terrain vague.", "LY1",
      language="fr",
      steps=((1, "ack"), (3, "resolve", "Les cadavres d'animaux ont été ramassés par le bureau d'hygiène."))),
    C(34, "bruit", 29, "صاحب ورشة النجارة كيخدم الآلات حتى لنص الليل.", "BT4",
      steps=((7, "ack"),)),  # acknowledged
    C(35, "espaces-verts-arbre", 27, "أغصان شجرة كبيرة تلامس أسلاك الكهرباء أمام المنزل.", "HS2", who="citizen",
      answers={"danger": "yes"},
      steps=((2, "ack"), (3, "start"), (6, "resolve", "تم تقليم الأغصان القريبة من الأسلاك."),
             (8, "rate", 4, ""))),
    C(36, "dechets-depot-sauvage", 25, "Gravats et vieux matelas jetés au coin de la rue depuis deux semaines.",
      "BT3", language="fr", answers={"size": "small"},
      steps=((2, "ack"), (5, "start"))),  # in progress
    C(37, "voirie-trottoir", 23, "الزليج ديال الرصيف مقلوع والناس كيطيحو، خصوصا الشيوخ.", "BL5",
      steps=((4, "ack"),)),
    C(38, "dechets-non-collectes", 21, "Zbel mkhcha f zan9a, chahna ma dazch had simana.", "HS4",
      answers={"size": "medium"},
      steps=((1, "ack"), (2, "resolve", OK_WASTE))),
    C(39, "eclairage-poteau", 19, "Un poteau d'éclairage penché menace de tomber sur les voitures garées.", "LY3",
      language="fr", who="open311", answers={"danger": "yes"},
      steps=((1, "ack"), (2, "start"))),  # in progress, past its target date
    C(40, "administration-delai", 17, "قدمت طلب رخصة الإصلاح منذ أكثر من شهرين ولم أتلق أي رد.", who="citizen",
      steps=((5, "ack"),)),
    C(41, "occupation", 15, "Des voitures d'un garage sont garées en permanence sur le trottoir.", "TB4",
      language="fr", steps=((3, "ack"),)),
    C(42, "dechets-conteneur", 13, "الحاوية ديال الحي محروقة، خاصها تتبدل.", "LY2",
      steps=((1, "ack"), (4, "resolve", "تم تعويض الحاوية المحروقة بحاوية جديدة."))),  # resolved, not yet closed
    C(43, "voirie-nid-de-poule", 12, "Nid-de-poule rempli d'eau à l'entrée du quartier, on ne voit pas sa profondeur.",
      "BT1", language="fr", photo="pothole", answers={"size": "medium", "danger": "yes"},
      steps=((1, "ack"), (3, "support", 2))),
    C(44, "eclairage-panne", 11, "المصابيح ديال الشارع الرئيسي ديال قرية أولاد موسى طافيين.", "TB2", who="citizen",
      steps=((1, "ack"), (2, "start"), (4, "resolve", OK_LAMP), (5, "rate", 4, "مزيان"))),
    C(45, "animaux", 10, "كلاب ضالة كثيرة قرب المدرسة الابتدائية.", "HS3",
      steps=((2, "ack"), (3, "start"))),  # in progress
    C(46, "dechets-non-collectes", 9, "Zbel bzaf 9dam l7anout, kaykhnez w kayjib dban.", "BL4",
      answers={"size": "small"},
      steps=((1, "ack"), (2, "resolve", OK_WASTE), (5, "reopen", "ma jma3ouch kolchi, b9a nos"))),  # reopened
    C(47, "bruit", 8, "حفلات كل ليلة في قاعة الأفراح بالحي حتى الفجر.", "LY1", who="citizen",
      steps=((3, "ack"),)),
    C(48, "voirie-regard", 7, "غطاء البالوعة مكسور في وسط الطريق.", "TB3", answers={"danger": "yes"},
      steps=((1, "ack"), (2, "start"))),
    C(49, "espaces-verts-entretien", 6, "Le jardin public est fermé depuis des mois et les enfants jouent dans la rue.",
      "BL3", language="fr", steps=((2, "ack"),)),
    C(50, "dechets-depot-sauvage", 6, "Déchets verts et branches jetés près de l'oued.", "HS1", language="fr",
      answers={"size": "medium"},
      steps=((2, "reject", "Ce terrain appartient à l'Agence pour l'aménagement de la vallée du Bouregreg ; nous lui "
                           "avons transmis le signalement."),)),  # rejected, not yet closed
    C(51, "eclairage-panne", 5, "Daw tafi 9dam dar, zan9a 12.", "HS4", steps=((1, "ack"),)),
    C(52, "dechets-conteneur", 5, "الحاوية عامرة ومحطوطة فوق الرصيف.", "BT2", steps=((1, "start"),)),
    C(53, "voirie-nid-de-poule", 4, "حفرة في الطريق قرب المدرسة، الأطفال يسقطون فيها عند الخروج.", "BL1",
      exact=True, steps=((1, "merge", 21),)),  # the same hole as n° 21
    C(54, "bruit", 4, "Musique très forte chaque nuit dans l'appartement du dessus, même en semaine.", "TB4",
      language="fr"),
    C(55, "administration-delai", 3, "طلبت نسخة من رسم الولادة لابني منذ أكثر من أسبوع وما زال الطلب قيد الدراسة، "
      "مع أن الأجل يوم عمل واحد.", who="citizen", related="demo-16"),
    C(56, "administration-refus", 2, "رفض طلبي لشهادة الوقاية الصحية لمخبزتي، وأنا أصلحت نقطة الماء والتهوية قبل "
      "المعاينة.", who="citizen", related="demo-12"),
    C(57, "dechets-non-collectes", 2, "الأزبال مرمية حدا الجامع من البارح.", "LY3", answers={"size": "small"},
      photo="waste"),
    C(58, "eclairage-poteau", 1, "Fils électriques dénudés qui pendent d'un poteau devant l'école.", "BT4",
      language="fr", who="open311", answers={"danger": "yes"}),
    C(59, "voirie-trottoir", 1, "Trottoir effondré devant la pharmacie, un trou d'un mètre.", "TB3", language="fr",
      pin=False),
    C(60, "animaux", 1, "زوج كلاب كبار كيهاجمو الناس فالليل فالحي.", "BT3"),
)

TEMARA: tuple[DemoComplaint, ...] = (
    C(1, "dechets-non-collectes", 120, "Les poubelles ne sont plus ramassées dans notre rue depuis dix jours.", "TM1",
      who="citizen", language="fr", answers={"size": "large"},
      steps=((1, "ack"), (3, "resolve", "La collecte a repris ; le camion passe désormais tous les jours."),
             (4, "rate", 4, "Merci."))),
    C(2, "eclairage-panne", 95, "الشارع مظلم منذ أسبوعين، المصابيح كلها مطفأة.", "TM2",
      steps=((2, "ack"), (8, "resolve", "تم إصلاح الإنارة العمومية بالشارع."))),
    C(3, "voirie-nid-de-poule", 80, "Une série de trous sur l'avenue, les voitures cassent leurs amortisseurs.", "TM4",
      language="fr", answers={"size": "large"},
      steps=((4, "ack"), (10, "start"),
             (64, "resolve", "La chaussée a été resurfacée sur toute la portion signalée."))),  # late
    C(4, "bruit", 60, "مقهى يشغل الموسيقى بصوت مرتفع حتى منتصف الليل.", "TM3",
      steps=((5, "ack"), (15, "reject", "المقهى يحترم أوقات الإغلاق المرخصة؛ لم تعاين المراقبة أي مخالفة."))),
    C(5, "animaux", 45, "Des chiens errants près de l'école du quartier.", "TM2", who="citizen", language="fr",
      steps=((2, "ack"), (5, "start"))),  # in progress, past its target
    C(6, "occupation", 30, "الباعة المتجولون يحتلون الرصيف أمام السوق البلدي.", "TM1",
      steps=((3, "ack"),)),
    C(7, "dechets-depot-sauvage", 20, "Gravats jetés sur le terrain vague à côté de la mosquée.", "TM3",
      language="fr", answers={"size": "medium"},
      steps=((2, "ack"), (3, "start"), (7, "resolve", "Les gravats ont été enlevés."))),
    C(8, "voirie-regard", 12, "Bla3a mftou7a f l9nt dyal zan9a, khtar 3la drari.", "TM4", answers={"danger": "yes"},
      steps=((1, "ack"), (2, "start"))),
    C(9, "espaces-verts-entretien", 7, "Le jardin du quartier n'est plus arrosé, les arbres sèchent.", "TM1",
      language="fr"),
    C(10, "administration-delai", 2, "J'ai demandé un extrait d'acte de décès il y a neuf jours et il n'est "
      "toujours pas délivré, alors que le délai annoncé est d'un jour ouvrable.", who="citizen", language="fr",
      related="demo-8"),
    C(11, "eclairage-poteau", 3, "عمود كهربائي مائل قرب المدرسة.", "TM3", answers={"danger": "yes"}),
    C(12, "dechets-conteneur", 1, "Le conteneur de la rue est cassé, les sacs sont par terre.", "TM2",
      language="fr"),
)

# --- answer templates -----------------------------------------------------------------------------------------------

TEMPLATES: tuple[tuple[str, str, str, str, str, str], ...] = (
    # (use, category code or "", title_ar, title_fr, text_ar, text_fr)
    ("ack", "", "إشعار بالتوصل", "Accusé de réception",
     "توصلت المصلحة المختصة بشكايتكم وهي بصدد دراستها. سنوافيكم بالجواب داخل الأجل القانوني.",
     "Le service compétent a bien reçu votre réclamation et l'étudie. Nous vous répondrons dans le délai légal."),
    ("resolve", "dechets", "تم جمع النفايات", "Déchets ramassés", OK_WASTE,
     "Les déchets ont été ramassés et le lieu nettoyé. Merci de votre signalement ; vous pouvez rouvrir la "
     "réclamation si le problème revient."),
    ("resolve", "eclairage", "تم إصلاح الإنارة", "Éclairage réparé", OK_LAMP, OK_LAMP_FR),
    ("reject", "", "خارج اختصاص الجماعة", "Hors de la compétence de la commune",
     "المشكل المبلغ عنه من اختصاص جهة أخرى، وقد أحلنا تبليغكم عليها. شكرا على تعاونكم.",
     "Le problème signalé relève d'un autre organisme, auquel nous avons transmis votre signalement. Merci de "
     "votre aide."),
)

# --- photos ---------------------------------------------------------------------------------------------------------


def demo_photo(kind: str) -> bytes:
    """A small drawn PNG (a pothole, an overflowing bin or a dark street lamp): the services check real images."""
    image = Image.new("RGB", (320, 240), (120, 124, 128))
    draw = ImageDraw.Draw(image)
    if kind == "pothole":
        draw.rectangle((0, 150, 320, 240), fill=(96, 98, 100))
        draw.ellipse((90, 120, 250, 200), fill=(46, 44, 42), outline=(150, 146, 140), width=6)
        draw.ellipse((130, 140, 200, 175), fill=(70, 80, 92))  # rain water
    elif kind == "waste":
        draw.rectangle((0, 170, 320, 240), fill=(150, 140, 120))
        draw.rectangle((110, 70, 210, 190), fill=(30, 110, 60))
        for x, y, colour in ((90, 170, (20, 20, 20)), (200, 175, (40, 40, 140)), (150, 55, (20, 20, 20)),
                             (230, 160, (180, 170, 60))):
            draw.ellipse((x, y, x + 45, y + 35), fill=colour)
    else:  # lamp
        draw.rectangle((0, 0, 320, 240), fill=(18, 24, 48))
        draw.rectangle((150, 60, 162, 240), fill=(90, 90, 96))
        draw.rectangle((120, 48, 200, 64), fill=(90, 90, 96))
        draw.ellipse((112, 56, 140, 76), fill=(60, 60, 66))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# --- loading --------------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    commune: Commune
    citizen: User | None
    staff: dict[str, User]  # department code → who acts on its complaints
    admin: User
    categories: dict[str, Category]
    cases: dict[str, str]  # demo request key → reference
    api_key: Open311Key | None = None
    made: dict[int, Complaint] = field(default_factory=dict)


def prepare_demo_complaints(communes: dict[str, Commune]) -> None:
    """The default categories and their departments (before the demo accounts: one of them works in hygiene), and
    the outlines."""
    for slug, commune in communes.items():
        categories_install_defaults(commune=commune)
        if slug == "sale":
            _outline(commune, SALE_OUTLINE, SALE_ARRONDISSEMENTS, zoom=13)
        elif slug == "temara":
            _outline(commune, TEMARA_OUTLINE, {}, zoom=14)


def _outline(commune: Commune, outline: dict[str, Any], parts: dict[str, dict[str, Any]], zoom: int) -> None:
    current = Area.all_communes.filter(commune=commune, arrondissement__isnull=True).first()
    if current is None or current.geometry != outline:
        services.area_set(commune=commune, geometry=outline, zoom=zoom)
    for arrondissement in Arrondissement.all_communes.filter(commune=commune, slug__in=list(parts)):
        geometry = parts[arrondissement.slug]
        area = Area.all_communes.filter(arrondissement=arrondissement).first()
        if area is None or area.geometry != geometry:
            services.area_set(commune=commune, arrondissement=arrondissement, geometry=geometry, zoom=zoom)


def load_demo_complaints(communes: dict[str, Commune], *, write: Callable[[str], Any] | None = None,
                         now: datetime | None = None) -> dict[str, int]:
    """Create what is missing (inside load_demo's transaction, unscoped); returns how many demo complaints each
    commune has and prints one line when `write` is given."""
    now = now or timezone.now()
    prepare_demo_complaints(communes)
    users = {u.username: u for u in User.objects.filter(username__in=[
        SALE_CITIZEN, TEMARA_CITIZEN, SALE_ADMIN, SALE_HYGIENE, TEMARA_ADMIN])}
    counts: dict[str, int] = {}
    created: set[str] = set()
    for slug, specs, citizen, admin in (("sale", SALE, SALE_CITIZEN, SALE_ADMIN),
                                        ("temara", TEMARA, TEMARA_CITIZEN, TEMARA_ADMIN)):
        commune = communes.get(slug)
        if commune is None or admin not in users:
            continue
        context = _Context(
            commune=commune, citizen=users.get(citizen), admin=users[admin],
            staff={"hygiene": users[SALE_HYGIENE]} if slug == "sale" and SALE_HYGIENE in users else {},
            categories={c.code: c for c in Category.all_communes.filter(commune=commune)},
            cases=dict(Case.all_communes.filter(commune=commune, submission_key__startswith="demo-")
                       .exclude(reference="").values_list("submission_key", "reference")),
        )
        _templates(context)
        if _load(context, specs, now):
            created.add(slug)
        counts[slug] = demo_complaints(commune).count()
    _train(communes, created)
    if write is not None:
        names = {"sale": "Salé", "temara": "Témara"}
        write("Complaints: " + ", ".join(f"{count} in {names.get(slug, slug)}" for slug, count in counts.items()))
    return counts


def demo_complaints(commune: Commune) -> Any:
    return Complaint.all_communes.filter(commune=commune, case__submission_key__startswith=KEY_PREFIX)


def _templates(context: _Context) -> None:
    existing = set(AnswerTemplate.all_communes.filter(commune=context.commune).values_list("title_fr", flat=True))
    for use, code, title_ar, title_fr, text_ar, text_fr in TEMPLATES:
        if title_fr in existing:
            continue
        answer_template_create(commune=context.commune, actor=context.admin, fields=TemplateFields(
            use=use, title_ar=title_ar, title_fr=title_fr, text_ar=text_ar, text_fr=text_fr,
            category=context.categories.get(code) if code else None))


def _api_key(context: _Context) -> Open311Key:
    if context.api_key is None:
        context.api_key = Open311Key.all_communes.filter(commune=context.commune, name=OPEN311_APP).first() \
            or open311_key_issue(commune=context.commune, name=OPEN311_APP, actor=context.admin)[0]
    return context.api_key


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CASABLANCA)


def _check(spec: DemoComplaint) -> None:
    """A typo in the scenarios above, caught before anything is written."""
    if spec.days_ago < 1:
        raise ValueError(f"demo complaint {spec.n}: filed at least a day ago, so that its steps are in the past")
    for step in spec.steps:
        if not 0 <= step[0] < spec.days_ago:
            raise ValueError(f"demo complaint {spec.n}: step {step!r} is not between its filing and today")


def _load(context: _Context, specs: tuple[DemoComplaint, ...], now: datetime) -> int:
    """Replay the missing complaints' stories in the order they happened, with the daily sweeps in between; returns
    how many complaints were filed."""
    for spec in specs:
        _check(spec)
    existing = set(Case.all_communes.filter(commune=context.commune, kind=CaseKind.COMPLAINT,
                                            submission_key__startswith=KEY_PREFIX)
                   .values_list("submission_key", flat=True))
    fresh = not existing
    missing = [spec for spec in specs if f"{KEY_PREFIX}{spec.n}" not in existing]
    if not missing:
        return 0
    today = local_date(now)
    # (moment, order, action): filings at their hour, steps at 10:00 and a few minutes, sweeps at 08:00.
    timeline: list[tuple[datetime, int, Callable[[datetime], Any]]] = []
    for spec in missing:
        filed = _local(today - timedelta(days=spec.days_ago), spec.hour, spec.n % 50)
        timeline.append((filed, spec.n, _filing(context, spec)))
        for i, step in enumerate(spec.steps):
            day = filed.date() + timedelta(days=step[0])
            moment = max(_local(day, 10, (spec.n + 7 * i) % 60), filed + timedelta(minutes=30 + i))
            timeline.append((moment, 1000 + spec.n * 10 + i, _step(context, spec, step)))
    if fresh:
        first = min(moment for moment, _order, _action in timeline).date()
        day = first + timedelta(days=1)
        while _local(day, 8) < now:
            timeline.append((_local(day, 8), 0, _sweep(context)))
            day += timedelta(days=1)
    timeline.sort(key=lambda item: (item[0], item[1]))
    for moment, _order, action in timeline:
        action(moment)
    return len(missing)


def _sweep(context: _Context) -> Callable[[datetime], Any]:
    def run(moment: datetime) -> None:
        sweeps.auto_close(moment, commune=context.commune)
        sweeps.remind_and_escalate(moment, commune=context.commune)

    return run


def _filing(context: _Context, spec: DemoComplaint) -> Callable[[datetime], Any]:
    def run(moment: datetime) -> None:
        category = context.categories[spec.category]
        place = PLACES.get(spec.place)
        lat = lon = None
        if place is not None and spec.pin:
            shift = 0.0 if spec.exact else 0.0004
            lat = round(place.lat + ((spec.n * 37) % 9 - 4) * shift, 6)
            lon = round(place.lon + ((spec.n * 53) % 9 - 4) * shift, 6)
        photos = [SimpleUploadedFile(f"photo-{spec.n}.png", demo_photo(spec.photo), content_type="image/png")] \
            if spec.photo else []
        open311 = spec.who == "open311"
        context.made[spec.n] = services.complaint_submit(
            commune=context.commune, category=category, description=spec.text, lat=lat, lon=lon,
            location_source="gps" if open311 else "pin", address=place.address if place else "",
            answers=spec.answers, photos=photos, related_reference=context.cases.get(spec.related, ""),
            citizen=context.citizen if spec.who == "citizen" else None, anonymous=spec.who == "anonymous",
            language=spec.language, api_key=_api_key(context) if open311 else None,
            channel=ComplaintChannel.OPEN311 if open311 else ComplaintChannel.WEB,
            open311_phone=f"+2126612340{spec.n:02d}" if open311 else "",
            submission_key=f"{KEY_PREFIX}{spec.n}", now=moment,
        )

    return run


def _step(context: _Context, spec: DemoComplaint, step: Step) -> Callable[[datetime], Any]:
    def run(moment: datetime) -> None:
        complaint = context.made[spec.n]
        _days, action, *args = step
        department = complaint.case.department.code if complaint.case.department_id else ""
        staff = context.staff.get(department, context.admin)
        filer = context.citizen if spec.who == "citizen" else None
        if action in ("ack", "start", "close"):
            name = {"ack": "acknowledge", "start": "start", "close": "close"}[action]
            services.complaint_transition(complaint=complaint, name=name, actor=staff, now=moment)
        elif action in ("resolve", "reject"):
            services.complaint_transition(complaint=complaint, name=action, actor=staff, text=args[0], now=moment)
        elif action == "reopen":
            services.complaint_transition(complaint=complaint, name="reopen", actor=filer, text=args[0],
                                          by_tracking=filer is None, now=moment)
        elif action == "rate":
            complaint.refresh_from_db()
            followup.complaint_rate(complaint=complaint, citizen=filer, by_tracking=filer is None, rating=args[0],
                                    comment=args[1], now=moment)
        elif action == "support":
            for i in range(args[0]):
                mark = services.fingerprint(citizen=None, ip=f"demo-{context.commune.slug}-{spec.n}-{i}",
                                            day=moment.date())
                services.complaint_support(complaint=complaint, citizen=None, fingerprint_value=mark)
        elif action == "merge":
            into = context.made.get(args[0]) or demo_complaints(context.commune).get(
                case__submission_key=f"{KEY_PREFIX}{args[0]}")
            services.complaint_merge(duplicate=complaint, into=into, actor=staff, now=moment)
        else:  # pragma: no cover - a typo in the scenarios above
            raise ValueError(f"unknown demo step {action!r}")

    return run


def _train(communes: dict[str, Commune], created: set[str]) -> None:
    """The classifier learns from the demo complaints (when its module is installed): again when some were added,
    else only where no model is stored yet."""
    if importlib.util.find_spec("jamaa.complaints.classifier") is None:
        return
    from jamaa.complaints import classifier

    for slug, commune in communes.items():
        if slug in created or not ClassifierModel.all_communes.filter(commune=commune).exists():
            classifier.train(commune)
