"""What pypdf's plain text of a page loses and its layout text keeps: the vertical gaps between
paragraphs (blank lines) and the columns of a table (runs of text two or more spaces apart).
`with_layout` carries both into the plain text, which keeps superscripts and reading order:
a blank line before each line that follows a gap, and each table row as one line of
tab-separated cells, the plain-text layout the rest of ingestion reads. Pure functions.

Hand-written because pypdf gives the positions only as spaces, and no library we use turns
them into rows; the rules are geometric, nothing here knows a review's words."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

_RUN = re.compile(r"\S+(?: \S+)*")  # text whose words are one space apart; two or more part columns
_MIN_COLUMNS = 3  # a line with this many runs is a table line; prose never has wide gaps inside
_SLACK = 1  # characters a run may start before its column


@dataclass(frozen=True)
class _Run:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Table:
    """A table in the layout lines: its first and last line and each row's cells."""

    first: int
    last: int
    rows: tuple[tuple[str, ...], ...]


def _runs(line: str) -> list[_Run]:
    return [_Run(m.start(), m.end(), m.group()) for m in _RUN.finditer(line)]


def _column(starts: list[int], run: _Run) -> int:
    """The column a run stands in: the last whose start is not after the run's."""
    return max((k for k, start in enumerate(starts) if start <= run.start + _SLACK), default=0)


def _inside_columns(runs: list[_Run], starts: list[int]) -> bool:
    """Each run starts at a column and ends before the next column starts (a cell's wrapped line)."""
    for run in runs:
        k = _column(starts, run)
        if abs(run.start - starts[k]) > _SLACK or (k + 1 < len(starts) and run.end > starts[k + 1]):
            return False
    return True


def _column_starts(lines: list[str]) -> list[int]:
    """The columns of a table's first row: where its runs start, starts a character apart merged."""
    starts: list[int] = []
    for start in sorted({run.start for line in lines for run in _runs(line)}):
        if not starts or start - starts[-1] > _SLACK + 1:
            starts.append(start)
    return starts


def _rows(lines: list[str], starts: list[int]) -> tuple[tuple[str, ...], ...]:
    """Rows are the groups of lines between blank lines; a cell's wrapped lines join with a space."""
    rows: list[tuple[str, ...]] = []
    group: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            group.append(line)
            continue
        if group:
            cells: list[list[str]] = [[] for _ in starts]
            for member in group:
                for run in _runs(member):
                    cells[_column(starts, run)].append(run.text)
            rows.append(tuple(" ".join(cell) for cell in cells))
            group = []
    return tuple(rows)


def _tables(lines: list[str]) -> list[_Table]:
    """Each run of lines that starts with a table line and continues while its lines keep to the
    columns of the first row, whose lines give those columns."""
    tables: list[_Table] = []
    index = 0
    while index < len(lines):
        if len(_runs(lines[index])) < _MIN_COLUMNS:
            index += 1
            continue
        first = index
        first_row_end = next((k for k in range(first, len(lines)) if not lines[k].strip()), len(lines))
        starts = _column_starts(lines[first:first_row_end])
        last = first_row_end - 1
        for k in range(first_row_end, len(lines)):
            runs = _runs(lines[k])
            if runs and len(runs) < _MIN_COLUMNS and not _inside_columns(runs, starts):
                break
            if runs:
                last = k
        tables.append(_Table(first, last, _rows(lines[first:last + 1], starts)))
        index = last + 1
    return tables


def _letters(lines: list[str]) -> Counter[str]:
    """The characters of the lines, spaces left out: layout text may glue two cells' words."""
    return Counter(char for line in lines for char in line if not char.isspace())


def with_layout(plain: str, layout: str) -> str:
    """The plain text of a page with the layout text's paragraph gaps (a blank line) and table rows
    (tab-separated cells) carried in. A table replaces the plain lines between the lines matched
    around it only when they hold no character the table lacks; otherwise the plain lines stay."""
    plain_lines = [line.strip() for line in plain.splitlines() if line.strip()]
    layout_lines = layout.splitlines()
    tables = _tables(layout_lines)
    in_table = {k for table in tables for k in range(table.first, table.last + 1)}
    kept = [k for k, line in enumerate(layout_lines) if line.strip() and k not in in_table]
    normal = [" ".join(line.split()) for line in plain_lines]
    matcher = SequenceMatcher(None, normal, [" ".join(layout_lines[k].split()) for k in kept], autojunk=False)
    plain_of: dict[int, int] = {}  # layout line -> plain line showing the same text
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            plain_of[kept[block.b + offset]] = block.a + offset
    gap_before = {plain_of[k] for k in plain_of if k > 0 and not layout_lines[k - 1].strip() and plain_of[k] > 0}
    replaced: dict[int, tuple[int, _Table]] = {}  # first plain line replaced -> (lines replaced, table)
    for table in tables:
        before = max((plain_of[k] for k in plain_of if k < table.first), default=-1)
        after = min((plain_of[k] for k in plain_of if k > table.last), default=len(plain_lines))
        covered = plain_lines[before + 1:after]
        cells = [cell for row in table.rows for cell in row]
        if covered and not _letters(covered) - _letters(cells):
            replaced[before + 1] = (len(covered), table)
    out: list[str] = []
    index = 0
    while index < len(plain_lines):
        if index in replaced:
            count, table = replaced[index]
            out.append("")
            out += ["\t".join(row) if sum(1 for cell in row if cell) > 1 else " ".join(" ".join(row).split())
                    for row in table.rows]
            out.append("")
            index += count
            continue
        if index in gap_before and out and out[-1]:
            out.append("")
        out.append(plain_lines[index])
        index += 1
    return "\n".join(out)
