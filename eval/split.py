"""The frozen tune/test split of the question sets: a question's part follows from its id alone,
so adding, removing or reordering questions never moves another question between parts."""
from __future__ import annotations

import hashlib
from typing import Literal

Part = Literal["tune", "test"]
PARTS = ("tune", "test", "all")
TUNE_PERCENT = 40  # about 40 % of ids tune the system; the other 60 % are only ever reported


def part_of(question_id: str) -> Part:
    """"tune" when sha256(id) mod 100 falls below TUNE_PERCENT, else "test"; never changes."""
    return "tune" if int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 100 < TUNE_PERCENT else "test"
