"""The answer figures per persona and per kind of question: where the assistant is weak, not
only how weak it is on average."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.metrics import AVERAGED_OVER, MetricResult, QuestionScore, mean_of

BREAKDOWN_KEYS = ("key_facts", "key_facts_first2", "citation_recall", "citation_precision", "false_abstention", "abstain_accuracy")
FACETS = ("persona", "kind")
UNLABELLED = "(none)"


@dataclass(frozen=True)
class Group:
    """One persona's or one kind's questions and their BREAKDOWN_KEYS figures."""

    n: int
    figures: dict[str, MetricResult]


def breakdown(scores: Sequence[QuestionScore], facet: str) -> dict[str, Group]:
    """BREAKDOWN_KEYS per value of the question's `facet` ("persona" or "kind"), groups in name
    order with unlabelled questions last; a figure a group cannot show is NaN, without a warning."""
    groups: dict[str, list[QuestionScore]] = {}
    for score in scores:
        groups.setdefault(getattr(score.question, facet) or UNLABELLED, []).append(score)
    ordered = sorted(groups, key=lambda name: (name == UNLABELLED, name))
    return {
        name: Group(len(groups[name]), {key: mean_of((s.metrics[key] for s in groups[name]), key, AVERAGED_OVER[key], warn=False)
                                        for key in BREAKDOWN_KEYS})
        for name in ordered
    }
