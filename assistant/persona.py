"""Which persona a question is written by, from its wording: a small multinomial logistic regression
over the question's sentence embedding and a few cues of form (who speaks, how long, citations,
teaching words). The trained parameters live in persona_model.json (see eval/train_persona.py); the
arithmetic is plain numpy so the answer path needs no learning library. A question the embedder
cannot read (not English) is classified by a second model over the cues of form alone."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from common.errors import EvidenceError

PERSONAS = ("therapist", "educator", "researcher")
MODEL_PATH = Path(__file__).with_name("persona_model.json")

# Cues of form, written for any review: they name who is speaking and what the answer is for, never
# a topic. English and Spanish words, because the embedding model only reads English well.
_CUES: dict[str, re.Pattern[str]] = {
    "first_person_singular": re.compile(
        r"\b(i|i'm|im|i've|i'd|i'll|me|my|myself|mine|yo|mí|mi|mis|conmigo|puedo|debo|debería|estoy|siento|tengo)\b"),
    "first_person_plural": re.compile(r"\b(we|we're|we've|our|ours|us|ourselves|nosotros|nosotras|nuestro|nuestra|nuestros|nuestras)\b"),
    "second_person": re.compile(r"\b(you|your|yourself|usted|tú|tu)\b"),
    "advice": re.compile(
        r"\b(should (i|we)|can (i|we)|could (i|we)|worth|safe|recommend\w*|advi[cs]e|tips?|practical|in practice|"
        r"day[- ]to[- ]day|my (clients?|patients?|team|colleagues?|practice|work|job)|debo|debería|vale la pena|consejos?)\b"),
    "teaching": re.compile(
        r"\b(slides?|lectures?|class(es)?|teach\w*|students?|seminars?|handouts?|explain\w*|summar\w*|overview|"
        r"in (brief|short|simple terms|plain (words|english))|key (points|messages|takeaways?)|take[- ]?home|"
        r"for (a|my|the) (talk|class|course|module|lecture|workshop)|diapositivas?|clases?|alumn[oa]s|estudiantes|"
        r"enseñ\w*|explica\w*|resum\w*)\b"),
    "definition": re.compile(r"^(what (is|are)|what does .{1,40} mean|define|qué es|qué son)\b|\b(definition|defined|definición)\b"),
    "method_words": re.compile(
        r"\b(design|methods?|methodolog\w*|sample|samples|n|participants|measured?|measures|scales?|instruments?|"
        r"questionnaires?|effect sizes?|cohen'?s|hedges'?|odds ratios?|hazard ratios?|confidence intervals?|"
        r"p ?[<=]|variance|correlat\w*|regression|mediat\w*|moderat\w*|cross-sectional|longitudinal|randomi[sz]ed|"
        r"rcts?|controls?|arms?|blind\w*|bias|heterogene\w*|pooled|meta-analys[ie]s|analys[ie]s|analy[sz]ed|"
        r"diseño|muestra|escalas?|instrumentos?|tamaño del efecto|metodolog\w*)\b"),
    "citation": re.compile(
        r"\bet al\b|\b[A-Z][\w'-]+ (and|&|y) [A-Z][\w'-]+\b|\b[A-Z][\w'-]+,? \(?(19|20)\d\d\b|(?i:\b(doi|cite[sd]?|citations?|references?|table \d)\b)"),
    "year": re.compile(r"\b(19|20)\d\d\b"),
    "digit": re.compile(r"\d"),
    "colon_list": re.compile(r":\s*\S+(,\s*\S+)+"),
    "which_studies": re.compile(r"\b(which|what|how many|cuáles|qué) (\w+ ){0,3}(studies|trials|papers|works|estudios|ensayos)\b"),
    "yes_no_start": re.compile(r"^(does|do|is|are|can|could|will|would|should|did|has|have|¿?(es|son|puede|sirve))\b"),
}
FORM_FEATURES = (*_CUES, "log_words", "short", "no_question_mark")


def form_features(question: str) -> list[float]:
    """The cues of form of a question, in the order of FORM_FEATURES (0/1 flags and a scaled length)."""
    text = " ".join(question.split())
    lowered = text.lower()
    values = [1.0 if pattern.search(text if name == "citation" else lowered) else 0.0 for name, pattern in _CUES.items()]
    words = len(text.split())
    values += [math.log1p(words) / 4.0, 1.0 if words <= 5 else 0.0, 0.0 if "?" in text else 1.0]
    return values


# Function words that tell English from Spanish (the other language users write in); a question
# with more Spanish than English ones, or with ¿ ¡ ñ, is not embedded.
_ENGLISH_WORDS = frozenset("the of in on and or to for with what which how did does do is are was were who why "
                           "when this that it they their there have has i my you your can should".split())
_SPANISH_WORDS = frozenset("el la los las de del que qué en y para por con como cómo cuál cuáles cuándo es son fue "
                           "un una mi mis se lo al sus estudio estudios puedo hay".split())


def reads_as_english(question: str) -> bool:
    """True unless the question is written in Spanish (judged by its function words and letters)."""
    if re.search(r"[¿¡ñ]", question, re.IGNORECASE):
        return False
    words = re.findall(r"[^\W\d_]+", question.lower())
    return sum(w in _SPANISH_WORDS for w in words) <= sum(w in _ENGLISH_WORDS for w in words)


@dataclass(frozen=True)
class LinearSoftmax:
    """One trained regression: standardise the features, then a softmax over one score per persona."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # personas x features
    bias: np.ndarray

    def scores(self, features: Sequence[float]) -> np.ndarray:
        standard = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return self.weights @ standard + self.bias


@dataclass(frozen=True)
class PersonaModel:
    """The classifier: one regression over embedding and cues, one over the cues alone."""

    personas: tuple[str, ...]
    embedding_model: str
    embedding_dim: int
    with_embedding: LinearSoftmax
    form_only: LinearSoftmax

    def probabilities(self, question: str, embedding: Sequence[float] | None) -> dict[str, float]:
        """Each persona's probability; without an embedding, from the cues of form alone."""
        if embedding is None:
            scores = self.form_only.scores(form_features(question))
        else:
            scores = self.with_embedding.scores(features_for(question, embedding))
        exp = np.exp(scores - scores.max())
        return dict(zip(self.personas, (exp / exp.sum()).tolist()))

    def predict(self, question: str, embedding: Sequence[float] | None) -> str:
        probabilities = self.probabilities(question, embedding)
        return max(self.personas, key=lambda persona: probabilities[persona])  # ties go to the earlier persona


def features_for(question: str, embedding: Sequence[float]) -> list[float]:
    """The full regression's input: the question's embedding followed by its cues of form."""
    return [*map(float, embedding), *form_features(question)]


def feature_names(embedding_dim: int) -> tuple[str, ...]:
    return (*(f"embedding_{i}" for i in range(embedding_dim)), *FORM_FEATURES)


def _regression(data: dict) -> LinearSoftmax:
    return LinearSoftmax(
        feature_names=tuple(data["feature_names"]),
        mean=np.asarray(data["mean"], dtype=np.float64),
        scale=np.asarray(data["scale"], dtype=np.float64),
        weights=np.asarray(data["weights"], dtype=np.float64),
        bias=np.asarray(data["bias"], dtype=np.float64),
    )


def model_from_json(data: dict) -> PersonaModel:
    return PersonaModel(
        personas=tuple(data["personas"]),
        embedding_model=data["embedding_model"],
        embedding_dim=int(data["embedding_dim"]),
        with_embedding=_regression(data["with_embedding"]),
        form_only=_regression(data["form_only"]),
    )


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_PATH) -> PersonaModel:
    """The trained classifier, read once per process."""
    model = model_from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    if (model.with_embedding.feature_names != feature_names(model.embedding_dim)
            or model.form_only.feature_names != FORM_FEATURES):
        raise EvidenceError(f"{path} was trained on other features than assistant/persona.py computes: "
                            "run `python -m eval.train_persona` (takes about a minute).")
    return model


def embedder(embedding_model: str):
    """The project's cached embedder for the model the classifier was trained with."""
    from common.settings import get_settings
    from ingest.index import get_embeddings

    settings = get_settings()
    if settings.embedding_model != embedding_model:
        settings = settings.model_copy(update={"embedding_model": embedding_model})
    return get_embeddings(settings)


def embed_question(question: str, embedding_model: str) -> list[float]:
    """The question's embedding, with its whitespace collapsed as in training."""
    return embedder(embedding_model).embed_query(" ".join(question.split()))


def classify_persona(question: str) -> str:
    """The persona whose wording the question is closest to: therapist, educator or researcher."""
    model = load_model()
    embedding = embed_question(question, model.embedding_model) if reads_as_english(question) else None
    return model.predict(question, embedding)
