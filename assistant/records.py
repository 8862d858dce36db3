"""The answer object of DESIGN.md; its `model_dump()` is the JSON contract."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.errors import EvidenceError

Persona = Literal["therapist", "educator", "researcher"]
PERSONA_CHOICES = ("auto", "therapist", "educator", "researcher")


def check_persona(value: str | None) -> str:
    """The persona value as given (None is auto); an unknown one is an error naming the allowed ones."""
    if value is None or value == "":
        return "auto"
    if value not in PERSONA_CHOICES:
        raise EvidenceError(f"Unknown persona {value!r}: use one of {', '.join(PERSONA_CHOICES)}.")
    return value


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: int = Field(ge=0, description="The review's reference number (0..its reference count); 0 is the review itself.")
    label: str
    doi: str | None = None
    url: str | None = None
    study_type: str | None = None
    source: Literal["review", "abstract"] = "review"
    quote: str = Field(description="Text that stands in the corpus and supports the claim.")


class RetrievedPassage(BaseModel):
    model_config = ConfigDict(frozen=True)

    chunk_id: str
    source: Literal["review", "abstract"]
    section: str
    refs: list[int]
    score: float


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str | None = None
    question: str
    answer: str
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[RetrievedPassage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    persona: Persona | None = Field(None, description="The persona the answer was styled for (given or inferred).")
    route: str | None = Field(None, description="How the question was read: list, fact, definition, overview, effect, contrast, out_of_scope, help.")
    evidence: str | None = Field(None, description="One line on the kind and strength of the evidence behind the answer.")
