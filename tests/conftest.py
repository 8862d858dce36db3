"""Shared fixtures: the real corpus, real embeddings, a real Chroma built once per session in a
temporary directory. Every test is hermetic: the default index directory points at tmp_path."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest

from common.settings import PROJECT_ROOT, Settings, get_settings

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def hermetic_index_dir(tmp_path, monkeypatch):
    """No test touches the developer's .chroma/: the default index lives in tmp_path."""
    monkeypatch.setenv("EVIDENCE_CHROMA_DIR", str(tmp_path / "chroma"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory) -> Settings:
    """Settings whose index is built once, from the real corpus, for the whole session."""
    from ingest.index import build_index

    settings = Settings(chroma_dir=tmp_path_factory.mktemp("index") / "chroma")
    build_index(settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def assistant(index_settings):
    from assistant.service import Assistant

    return Assistant.load(index_settings)


@pytest.fixture(scope="session")
def review_text() -> str:
    return (CORPUS / "review.txt").read_text(encoding="utf-8")
