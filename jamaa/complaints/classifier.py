"""Suggests a complaint's category from what the citizen types (Arabic, French, Tamazight, Moroccan Darija in Arabic or
Latin script), while they type.

Each commune has its own model, trained on its own past complaints (description → leaf category) plus seed samples
made of every category's names, descriptions and keywords, so that a commune without any complaint yet (or a new
category without any) still gets suggestions. Features are character n-grams of the normalized text (robust to the
many spellings of one word across scripts: "7efra", "hfra", "حفرة") and whole words; the model is a multinomial
logistic regression, whose probabilities are the suggestions' scores.

`train()` stores the model in `ClassifierModel`; `suggest()` loads it once per process, and while a commune has no
stored model it trains one from the seeds alone, in memory. Nothing is downloaded: it works offline.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import random
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from jamaa.complaints.models import Category, ClassifierModel, Complaint, ComplaintKind, ComplaintState
from jamaa.core.models import Commune

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)

# Bump when `normalize`, the features or the stored payload change: a stored model of another format is ignored
# (the commune gets the seed model until it is trained again).
FORMAT = 3
# The most recent past complaints a model learns from.
MAX_COMPLAINTS = 20_000
# Fewer letters than this (after normalization) is no text to classify yet.
MIN_LETTERS = 3
# Only so much of a long description is read (the start says what it is about).
MAX_CHARS = 1_000
# Suggestions scoring below this are dropped.
FLOOR = 0.1
# A text with fewer of its n-grams known to the model than this is not recognised at all (keyboard mashing,
# "bonjour"): no suggestion rather than noise.
MIN_COVERAGE = 0.25
# Character n-grams of past complaints a model keeps (the most frequent), besides those of the seeds: bounds its
# size (about 4 bytes × categories each, plus the n-gram itself) in the database and in each process's memory.
MAX_FEATURES = 50_000
# Seeds: a category's own names, descriptions and keywords count fully, its parent's (shared with its siblings) less.
SEED_WEIGHT = 1.0
PARENT_SEED_WEIGHT = 0.5
# Models kept in memory per process (one per commune that was asked, plus seed models).
CACHE_SIZE = 16


@dataclass(frozen=True)
class Suggestion:
    category: Category
    score: float  # 0..1


# --- text ---------------------------------------------------------------------------------------------------------

_FOLD = str.maketrans({
    "ى": "ي", "ی": "ي", "ة": "ه", "ٱ": "ا", "ک": "ك", "ـ": None,  # alef maqsura, Persian forms, wasla; tatweel
    "ء": None,  # a hamza on the line, mostly left out in typed Darija ("الما" for "الماء")
    "œ": "oe", "æ": "ae",
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Eastern Arabic-Indic digits
})
_REPEATS = re.compile(r"(.)\1{2,}")


def normalize(text: str) -> str:
    """One spelling for the many ways one word is typed: Unicode NFKC, lower case, without accents, Arabic diacritics
    or tatweel, alef forms unified (أ إ آ ٱ → ا, and ؤ → و, ئ → ي, ء dropped), ى → ي, ة → ه, a letter repeated for
    emphasis kept twice ("bzzzaf" → "bzzaf"), punctuation and symbols as spaces. Digits stay: in Darija written in
    Latin script 2, 3, 5, 7 and 9 are letters ("l7efra", "3amra")."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        group = unicodedata.category(char)[0]
        if group == "M":  # accents, harakat, shadda, madda, hamza above or below a letter
            continue
        kept.append(char if group in "LN" else " ")
    text = unicodedata.normalize("NFC", "".join(kept)).translate(_FOLD)
    return " ".join(_REPEATS.sub(r"\1\1", text).split())


# The consonant skeleton of a word in capitals, the same from either script: Darija is written in Arabic letters or in
# Latin letters and digits ("الحفرة", "l7efra", "lhofra" → "LHFR"). Vowels and the letters that often stand for them
# (ا و ي, a e i o u y w) are left out, as the Arabic script leaves out short vowels.
_SKELETON_DIGRAPHS = (("ch", "C"), ("sh", "C"), ("kh", "X"), ("gh", "G"))
_SKELETON = str.maketrans({
    "ب": "B", "ت": "T", "ث": "T", "ج": "J", "ح": "H", "خ": "X", "د": "D", "ذ": "D", "ر": "R", "ز": "Z", "س": "S",
    "ش": "C", "ص": "S", "ض": "D", "ط": "T", "ظ": "D", "ع": "E", "غ": "G", "ف": "F", "ق": "Q", "ك": "K", "ل": "L",
    "م": "M", "ن": "N", "ه": "H", "ڭ": "G", "ڤ": "F",
    "b": "B", "c": "K", "d": "D", "f": "F", "g": "G", "h": "H", "j": "J", "k": "K", "l": "L", "m": "M", "n": "N",
    "p": "B", "q": "Q", "r": "R", "s": "S", "t": "T", "v": "F", "x": "KS", "z": "Z",
    "3": "E", "5": "X", "7": "H", "8": "G", "9": "Q",
    **{vowel: None for vowel in "ايوaeiouyw2"},
})
_DOUBLED = re.compile(r"([A-Z])\1+")


def _skeleton(word: str) -> str:
    if word.endswith("ه") and len(word) > 2:  # the feminine ending (ة), "a" in Latin script
        word = word[:-1]
    for digraph, letter in _SKELETON_DIGRAPHS:
        word = word.replace(digraph, letter)
    word = _DOUBLED.sub(r"\1", word.translate(_SKELETON))
    return word if word.isascii() and word.isupper() else ""


def _words(text: str) -> list[str]:
    """The normalized words of the text's start, without numbers standing alone (house numbers, dates)."""
    return [word for word in normalize(text[:MAX_CHARS]).split() if not word.isdigit()]


def _features_text(text: str, words: list[str] | None = None) -> str:
    """What the model reads: the normalized words followed by their consonant skeletons (capitals, which the
    normalized text never has)."""
    words = _words(text) if words is None else words
    skeletons = [skeleton for skeleton in map(_skeleton, words) if len(skeleton) >= 2]
    return " ".join(words + skeletons)


# --- samples ------------------------------------------------------------------------------------------------------


def active_leaves(commune: Commune) -> list[Category]:
    """The commune's categories a complaint can be filed in now (active, without active sub-categories)."""
    return list(Category.all_communes.filter(commune=commune).active().leaves().select_related("parent"))


def _category_texts(category: Category) -> list[str]:
    texts = [getattr(category, f"{field}_{language}") for field in ("name", "description")
             for language in ("ar", "fr", "zgh")]
    keywords = category.keywords.split()
    # The keywords as a whole and one by one: a one-word complaint ("zbel") then looks like a sample.
    return [t for t in texts if t.strip()] + ([category.keywords] if keywords else []) + keywords


@dataclass(frozen=True)
class Samples:
    texts: list[str]
    labels: list[int]  # category ids
    weights: list[float]

    def __len__(self) -> int:
        return len(self.labels)

    def __add__(self, other: Samples) -> Samples:
        return Samples(self.texts + other.texts, self.labels + other.labels, self.weights + other.weights)


def seed_samples(leaves: Iterable[Category]) -> Samples:
    """Samples made of each category's names, descriptions and keywords (and, at half weight, its parent's)."""
    texts: list[str] = []
    labels: list[int] = []
    weights: list[float] = []
    for category in leaves:
        sources = [(_category_texts(category), SEED_WEIGHT)]
        if category.parent is not None:
            sources.append((_category_texts(category.parent), PARENT_SEED_WEIGHT))
        for source, weight in sources:
            for text in source:
                features = _features_text(text)
                if features:
                    texts.append(features)
                    labels.append(category.pk)
                    weights.append(weight)
    return Samples(texts, labels, weights)


def complaint_samples(commune: Commune, leaves: Iterable[Category], *, now: datetime | None = None,
                      limit: int = MAX_COMPLAINTS) -> Samples:
    """The commune's most recent past complaints in a category that can still be chosen (rejected ones are left out:
    they are often not a problem the commune handles at all)."""
    ids = [c.pk for c in leaves]
    rows = (Complaint.all_communes.filter(commune=commune, category_id__in=ids, received_at__lte=now or timezone.now())
            .exclude(state=ComplaintState.REJECTED).order_by("-received_at", "-id")
            .values_list("description", "category_id")[:limit])
    texts: list[str] = []
    labels: list[int] = []
    for description, category_id in rows:
        features = _features_text(description)
        if features:
            texts.append(features)
            labels.append(category_id)
    return Samples(texts, labels, [1.0] * len(labels))


# --- the model ----------------------------------------------------------------------------------------------------


def fit(seeds: Samples, past: Samples | None = None) -> Pipeline | None:
    """A fitted pipeline (features → logistic regression, classes = category ids), or None with fewer than two
    categories to tell apart. The n-grams kept are the most frequent ones of the past complaints plus every n-gram of
    the seeds, so a category nobody has filed in yet still has its own."""
    samples = seeds + past if past is not None else seeds
    if len(set(samples.labels)) < 2:
        return None
    import numpy
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    # Character n-grams inside word boundaries carry the words too ("zbel" → " zbel "); whole-word features added
    # nothing measurable on the seeds while letting short function words ("ما", "f") weigh.
    options: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (3, 5), "lowercase": False}
    vocabulary = None
    if past is not None and len(past):
        frequent = CountVectorizer(**options, max_features=MAX_FEATURES).fit(past.texts).vocabulary_
        analyzer = CountVectorizer(**options).build_analyzer()
        vocabulary = sorted(set(frequent).union(*(analyzer(text) for text in seeds.texts)))
    pipeline = Pipeline([
        ("features", TfidfVectorizer(**options, vocabulary=vocabulary, sublinear_tf=True, dtype=numpy.float32)),
        ("model", LogisticRegression(C=20.0, max_iter=500)),
    ])
    # One thread: the problem is small, and threads fighting over busy cores made a 0.5 s fit take 10 s.
    with threadpool_limits(limits=1):
        pipeline.fit(samples.texts, samples.labels, model__sample_weight=samples.weights)
    model = pipeline.named_steps["model"]
    model.coef_ = model.coef_.astype(numpy.float32)  # half the memory and the stored size, same ranking
    return pipeline


@dataclass
class _Loaded:
    pipeline: Pipeline
    classes: list[int]
    known: frozenset[str] | dict[str, int]  # the n-grams the model has a weight for
    analyzer: Callable[[str], list[str]]

    @classmethod
    def of(cls, pipeline: Pipeline) -> _Loaded:
        vectorizer = pipeline.named_steps["features"]
        return cls(pipeline, [int(c) for c in pipeline.classes_], vectorizer.vocabulary_,
                   vectorizer.build_analyzer())

    def coverage(self, text: str) -> float:
        """The share of the text's n-grams of three letters or more that the model knows."""
        grams = [gram for gram in self.analyzer(text) if len(gram) >= 3]
        return sum(gram in self.known for gram in grams) / len(grams) if grams else 0.0


def _dump(pipeline: Pipeline) -> bytes:
    import sklearn

    return pickle.dumps({"format": FORMAT, "sklearn": sklearn.__version__, "pipeline": pipeline},
                        protocol=pickle.HIGHEST_PROTOCOL)


def _load(blob: bytes) -> Pipeline | None:
    """The stored pipeline, or None when it was stored by another format or scikit-learn version (it is then
    ignored until the commune's model is trained again)."""
    import sklearn

    try:
        payload = pickle.loads(bytes(blob))  # noqa: S301 - our own table, written only by train()
    except Exception:  # a blob that cannot be read must not stop filing
        logger.exception("complaint classifier: stored model unreadable")
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT \
            or payload.get("sklearn") != sklearn.__version__:
        logger.warning("complaint classifier: stored model of another version ignored (train it again)")
        return None
    return payload["pipeline"]


_cache: OrderedDict[tuple[Any, ...], _Loaded | None] = OrderedDict()
_cache_lock = threading.Lock()


def _remember(key: tuple[Any, ...], pipeline: Pipeline | None) -> _Loaded | None:
    loaded = _Loaded.of(pipeline) if pipeline is not None else None
    with _cache_lock:
        _cache[key] = loaded
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


def _cached(key: tuple[Any, ...]) -> tuple[bool, _Loaded | None]:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return True, _cache[key]
    return False, None


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _seed_key(commune: Commune, leaves: Sequence[Category]) -> tuple[Any, ...]:
    digest = hashlib.sha256()
    for category in leaves:
        for text in [str(category.pk), *_category_texts(category)] + (
                [str(category.parent.pk), *_category_texts(category.parent)] if category.parent else []):
            digest.update(text.encode())
            digest.update(b"\0")
    return ("seeds", commune.pk, FORMAT, digest.hexdigest())


def _model_for(commune: Commune, leaves: Sequence[Category]) -> _Loaded | None:
    stored = ClassifierModel.all_communes.filter(commune=commune).values_list("trained_at", flat=True).first()
    if stored is not None:
        key: tuple[Any, ...] = ("stored", commune.pk, stored.isoformat())
        found, loaded = _cached(key)
        if found:
            return loaded
        blob = ClassifierModel.all_communes.filter(commune=commune).values_list("blob", flat=True).first()
        pipeline = _load(blob) if blob is not None else None
        if pipeline is not None:
            return _remember(key, pipeline)
    # No usable stored model: one trained from the categories alone (kept while the categories do not change).
    key = _seed_key(commune, leaves)
    found, loaded = _cached(key)
    if found:
        return loaded
    return _remember(key, fit(seed_samples(leaves)))


# --- public API ---------------------------------------------------------------------------------------------------


def suggest(commune: Commune, text: str, *, kind: str | None = None, limit: int = 3) -> list[Suggestion]:
    """The categories the text most likely belongs to, best first: only categories a complaint can be filed in now
    (of `kind` when given), each with a score from 0 to 1, none below FLOOR. Empty, too short or unrecognisable text
    gives an empty list."""
    if not isinstance(text, str) or limit <= 0 or (kind is not None and kind not in ComplaintKind.values):
        return []
    words = _words(text)
    if sum(len(word) for word in words) < MIN_LETTERS:
        return []
    features = _features_text(text, words)
    leaves = active_leaves(commune)
    allowed = {c.pk: c for c in leaves if kind is None or c.kind == kind}
    if not allowed:
        return []
    loaded = _model_for(commune, leaves)
    if loaded is None:
        return []
    if loaded.coverage(features) < MIN_COVERAGE:
        return []
    vector = loaded.pipeline.named_steps["features"].transform([features])
    scores = loaded.pipeline.named_steps["model"].predict_proba(vector)[0]
    ranked = sorted(((float(score), category_id) for category_id, score in zip(loaded.classes, scores, strict=True)
                     if category_id in allowed), reverse=True)
    return [Suggestion(allowed[category_id], round(score, 4)) for score, category_id in ranked[:limit]
            if score >= FLOOR]


def train(commune: Commune, *, now: datetime | None = None) -> ClassifierModel | None:
    """Train the commune's model on its categories and past complaints and store it (replacing the previous one).
    None when the commune has fewer than two categories to choose from (then no model is kept)."""
    now = now or timezone.now()
    leaves = active_leaves(commune)
    past = complaint_samples(commune, leaves, now=now)
    pipeline = fit(seed_samples(leaves), past)
    if pipeline is None:
        ClassifierModel.all_communes.filter(commune=commune).delete()
        return None
    with transaction.atomic():
        record, _ = ClassifierModel.all_communes.update_or_create(
            commune=commune, defaults={"trained_at": now, "samples": len(past), "blob": _dump(pipeline)})
    # Keyed by the time as the database gives it back, as `suggest` reads it.
    stored = ClassifierModel.all_communes.filter(pk=record.pk).values_list("trained_at", flat=True).get()
    _remember(("stored", commune.pk, stored.isoformat()), pipeline)
    return record


# --- evaluation (the training command) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    seeds: int
    complaints: int
    categories: int
    tested: int  # held-out complaints (0: too few complaints to hold some out)
    top1: float  # share of held-out complaints whose category came first
    top3: float  # ... among the first three
    seconds: float  # time to train on the rest


def evaluate(commune: Commune, *, holdout: float = 0.2, seed: int = 0, now: datetime | None = None) -> Evaluation:
    """Train without a random share of the commune's past complaints and count how often their category comes
    first, or among the first three. Stores nothing."""
    leaves = active_leaves(commune)
    seeds = seed_samples(leaves)
    past = complaint_samples(commune, leaves, now=now)
    order = list(range(len(past)))
    random.Random(seed).shuffle(order)  # noqa: S311 - a reproducible split, not a secret
    tested = int(len(order) * holdout) if len(order) >= 10 else 0
    held, kept = set(order[:tested]), order[tested:]
    train_part = Samples([past.texts[i] for i in kept], [past.labels[i] for i in kept], [1.0] * len(kept))
    started = time.perf_counter()
    pipeline = fit(seeds, train_part)
    seconds = time.perf_counter() - started
    top1 = top3 = 0
    if pipeline is not None and held:
        indexes = sorted(held)
        classes = [int(c) for c in pipeline.classes_]
        probabilities = pipeline.predict_proba([past.texts[i] for i in indexes])
        for i, row in zip(indexes, probabilities, strict=True):
            best = [classes[j] for j in row.argsort()[::-1][:3]]
            top1 += best[0] == past.labels[i]
            top3 += past.labels[i] in best
    return Evaluation(seeds=len(seeds), complaints=len(past), categories=len(leaves), tested=len(held),
                      top1=top1 / len(held) if held else 0.0, top3=top3 / len(held) if held else 0.0,
                      seconds=seconds)
