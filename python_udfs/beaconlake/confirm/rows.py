"""Many series at once: rows of different lengths laid end to end in one flat array.

The confirmation's interval statistics (sorts, quantiles, folds, likelihoods) cost a few
microseconds of arithmetic per series but a few microseconds of call overhead per NumPy call;
on a batch of series laid end to end, each call serves every series. Sums go through
``np.bincount``, which adds each row's values one after the other, in order: sums of whole
numbers (the intervals between beats are whole seconds) are exact in any order, and other
sums differ from NumPy's pairwise ``sum`` by rounding alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Rows:
    """Row ``i`` is ``values[starts[i]:ends[i]]``, ``lengths[i]`` values long."""

    values: npt.NDArray[Any]
    lengths: npt.NDArray[np.int64]

    @classmethod
    def of(cls, arrays: Sequence[np.ndarray]) -> Rows:
        """The arrays as rows of floats."""
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        if not len(arrays):
            return cls(np.zeros(0), lengths)
        return cls(np.concatenate([np.asarray(a, dtype=float) for a in arrays]), lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.values[self.starts[i] : self.ends[i]]

    @cached_property
    def ends(self) -> npt.NDArray[np.int64]:
        return np.cumsum(self.lengths)

    @cached_property
    def starts(self) -> npt.NDArray[np.int64]:
        return self.ends - self.lengths

    @cached_property
    def row(self) -> npt.NDArray[np.int64]:
        """The row of each value."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)

    def like(self, values: np.ndarray) -> Rows:
        """``values`` (one per value of these rows) in the same rows."""
        return Rows(values, self.lengths)

    def sum(self, values: np.ndarray | None = None) -> np.ndarray:
        """Each row's sum of its values (or of ``values``, one per value), in order."""
        weights = self.values if values is None else values
        return np.bincount(self.row, weights=weights, minlength=len(self))

    def mean(self, values: np.ndarray | None = None) -> np.ndarray:
        """Each row's mean (NaN for an empty row)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sum(values) / self.lengths

    def where(self, keep: np.ndarray) -> Rows:
        """The values for which ``keep`` holds, in their rows and order."""
        return Rows(self.values[keep], np.bincount(self.row[keep], minlength=len(self)))

    def take(self, rows: np.ndarray) -> Rows:
        """The rows ``rows`` (indices, in that order, repeats allowed)."""
        lengths = self.lengths[rows]
        taken = Rows(np.zeros(0), lengths)
        at = np.arange(int(lengths.sum())) + np.repeat(self.starts[rows] - taken.starts, lengths)
        return Rows(self.values[at], lengths)

    def diff(self) -> Rows:
        """Each row's differences of consecutive values (one fewer than its values)."""
        row = self.row
        within = row[1:] == row[:-1]
        return Rows(np.diff(self.values)[within], np.maximum(self.lengths - 1, 0))

    def sorted(self) -> Rows:
        """Each row's values in ascending order."""
        return self.like(self.values[np.lexsort((self.values, self.row))])

    def first(self) -> np.ndarray:
        """Each row's first value (rows not empty)."""
        return self.values[self.starts]

    def last(self) -> np.ndarray:
        """Each row's last value (rows not empty)."""
        return self.values[self.ends - 1]

    def max(self) -> np.ndarray:
        """Each row's largest value (rows not empty)."""
        return np.maximum.reduceat(self.values, self.starts)

    def first_max(self) -> np.ndarray:
        """The index (into ``values``) of each row's first largest value (rows not empty), as
        Python's ``list.index(max(...))`` picks it."""
        at = np.where(self.values == self.max()[self.row], np.arange(len(self.values)), -1)
        at[at < 0] = len(self.values)
        return np.minimum.reduceat(at, self.starts)

    def quantile(self, q: float) -> np.ndarray:
        """Each row's ``np.quantile(row, q)`` by the same arithmetic (its default, linear
        method), of rows sorted ascending and not empty: a sort and a few of these cost a tenth
        of one ``np.quantile`` call per row."""
        n = self.lengths
        virtual = (n - 1) * q
        below = np.floor(virtual).astype(np.int64)
        at = self.starts + np.clip(below, 0, np.maximum(n - 2, 0))
        a, b = self.values[at], self.values[np.minimum(at + 1, self.ends - 1)]
        gamma = virtual - below
        # numpy's lerp: from the nearer end, so that q = 1 gives the last value exactly
        lerp = np.where(gamma >= 0.5, b - (b - a) * (1 - gamma), a + (b - a) * gamma)
        return np.where(virtual >= n - 1, self.last(), lerp)

    def median(self) -> np.ndarray:
        """Each row's ``np.median(row)`` by the same arithmetic, of rows sorted ascending and
        not empty."""
        half = np.floor_divide(self.lengths, 2)
        upper = self.values[self.starts + half]
        lower = self.values[self.starts + np.maximum(half - 1, 0)]
        return np.where(half * 2 < self.lengths, upper, (lower + upper) / 2)
