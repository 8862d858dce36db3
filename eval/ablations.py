"""Ablations: the full system with one part switched off or changed, one settings override per
variant. Adding a variant is one line of ABLATIONS: a name and {group: {field: value}} over the
nested groups of common.settings.Settings (ingest, retrieval, answer)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from common.errors import EvidenceError
from common.settings import Settings

Override = Mapping[str, Mapping[str, Any]]

ABLATIONS: tuple[tuple[str, Override], ...] = (
    ("no per-study cap", {"retrieval": {"per_study_cap": 100}}),
    ("dense only (no BM25)", {"retrieval": {"lexical_k": 0}}),
    ("standard RRF constant (k=60)", {"retrieval": {"rrf_k": 60}}),
    ("at most 2 supporting points", {"answer": {"max_points": 2}}),
    ("no everyday lexicon (word list)", {"answer": {"everyday_lexicon": False}}),
    ("no framing words (word list)", {"answer": {"framing_words": False}}),
    ("no shorthand (word list)", {"answer": {"shorthand": False}}),
    ("no declines for statistics never printed (word list)", {"answer": {"named_statistics": False}}),
    ("no evidence-gain abstention", {"answer": {"uncovered_gain_max": 10.0}}),
    ("no scope from the review's criteria, years and places", {"answer": {"scope_from_review": False}}),
    ("no review-section plans (limitations, future research, enumerations)", {"answer": {"review_section_plans": False}}),
    ("no study found by meaning (described studies by their facets' words only)", {"answer": {"describe_margin": 1.0}}),
    ("no topic rule for unknown words (meaning share only with other signals)", {"answer": {"unknown_meaning_topic": 1.0}}),
    ("no finding-first opening (an abstract's background may lead)", {"answer": {"background_penalty": 0.0}}),
    ("no short lead for therapists (the best-scoring sentence leads)", {"answer": {"plain_lead_margin": 0.0}}),
    ("no comparison plan (two sides read, a sentence setting them apart leads)", {"answer": {"comparison_share": 0.0}}),
    ("no point for a part of the question left untouched", {"answer": {"coverage_share": 0.0}}),
    ("no lists from the review's own citing sentence", {"answer": {"citing_clause_lists": False}}),
    ("approximate dense search (Chroma's HNSW graph at every size)", {"retrieval": {"exact_up_to": 0}}),
)


def describe(override: Override) -> str:
    """`retrieval.per_study_cap=100`, the override as one would set it."""
    return ", ".join(f"{group}.{name}={value!r}" for group, fields in override.items() for name, value in fields.items())


def apply_override(settings: Settings, override: Override) -> Settings:
    """`settings` with the override's fields changed in their nested groups, each group validated
    again (so a misspelt or not-yet-existing field is an error naming it, not a silent no-op)."""
    update: dict[str, BaseModel] = {}
    for group_name, fields in override.items():
        group = getattr(settings, group_name, None)
        if not isinstance(group, BaseModel):
            raise EvidenceError(f"Ablation override {describe(override)}: settings have no group '{group_name}'.")
        try:
            update[group_name] = type(group).model_validate({**group.model_dump(), **fields})
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise EvidenceError(f"Ablation override {describe(override)}: {group_name}.{where}: {first['msg']}.") from error
    return settings.model_copy(update=update)
