"""Planting row-level defects into generated extracts.

Real extracts carry typos, impossible dates and codes that do not exist; the ingest must move
such rows to quarantine and keep the rest. Each defect here breaks exactly one declared rule of
one column, so a test can check that the quarantine holds exactly the planted rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Defect:
    """A way to corrupt one column: ``corrupt`` maps the clean column expression to a bad one."""

    column: str
    corrupt: Callable[[pl.Expr], pl.Expr]


def impossible_dates(column: str, year: int, iso: bool = False) -> list[Defect]:
    """The two impossible dates clerks type most: the 31st of February and day 0 of month 13."""
    if iso:
        return [Defect(column, lambda _: pl.lit(f"{year}-02-31")), Defect(column, lambda _: pl.lit(f"{year}-13-00"))]
    return [Defect(column, lambda _: pl.lit(f"31/02/{year}")), Defect(column, lambda _: pl.lit(f"00/13/{year}"))]


def negative(column: str) -> Defect:
    """A sign flip, as from a reversal booked as a receipt (the column must be strictly positive)."""
    return Defect(column, lambda value: -value)


def replaced(column: str, value: str) -> Defect:
    """A constant out-of-domain value (an unknown code, an unknown category)."""
    return Defect(column, lambda _: pl.lit(value))


def draw_kinds(rng: np.random.Generator, rows: int, rate: float, kinds: int) -> np.ndarray:
    """Per row, the index of the defect to plant or -1; each row is defective with chance ``rate``."""
    kind = rng.integers(0, kinds, rows)
    kind[rng.random(rows) >= rate] = -1
    return kind


def plant(frame: pl.DataFrame, kinds: np.ndarray, defects: Sequence[Defect]) -> pl.DataFrame:
    """Apply ``defects[kinds[i]]`` to row ``i`` (rows with kind -1 stay clean)."""
    kind = pl.Series(kinds)
    columns: dict[str, pl.Expr] = {}
    for number, defect in enumerate(defects):
        current = columns.get(defect.column, pl.col(defect.column))
        columns[defect.column] = pl.when(kind == number).then(defect.corrupt(pl.col(defect.column))).otherwise(current)
    return frame.with_columns(**columns)
