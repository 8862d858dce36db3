"""Files derived from one build of a review's live collection (its passage records, the
assistant's retrieval structures), kept on this machine beside the index so that opening it
does not recompute them. A folder is stamped with the build it was made from and used only for
that build: a stale or half-written folder is never read, it is rebuilt."""
from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from common.settings import Settings

STAMP = "stamp.json"


def cache_dir(settings: Settings) -> Path:
    """The review's cache folder, beside the evidence model; a Chroma server's reviews get a
    folder of their own, named by host and port (review names hold no dot or underscore)."""
    base = settings.chroma_dir / "retrieval-cache"
    if settings.chroma_host:
        base = base / f"server-{settings.chroma_host}_{settings.chroma_port}"
    return base / settings.review


def read_stamped(folder: Path, stamp: dict) -> Path | None:
    """The folder when it was written whole for exactly this stamp, else None."""
    try:
        found = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return folder if found == stamp else None


def write_stamped(folder: Path, stamp: dict, write: Callable[[Path], None]) -> None:
    """Fills a fresh sibling folder with `write`, stamps it last, then swaps it in for `folder`,
    so a reader sees the old folder, no folder, or the new one whole. Raises OSError."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = folder.with_name(f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    old = fresh.with_name(fresh.name + ".old")
    try:
        fresh.mkdir()
        write(fresh)
        (fresh / STAMP).write_text(json.dumps(stamp, sort_keys=True), encoding="utf-8")
        if folder.exists():
            folder.rename(old)
        fresh.rename(folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
