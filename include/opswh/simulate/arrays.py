"""Column arrays for the simulator's population, and the numpy/Arrow helpers it builds rows with."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


class Columns:
    """Column arrays that grow by doubling."""

    def __init__(self, **dtypes: str) -> None:
        self.n = 0
        self.cap = 1024
        self.cols = {k: np.zeros(self.cap, dtype=v) for k, v in dtypes.items()}

    def append(self, **vals: np.ndarray) -> np.ndarray:
        m = len(next(iter(vals.values())))
        while self.n + m > self.cap:
            self.cap *= 2
            for k, a in self.cols.items():
                b = np.zeros(self.cap, dtype=a.dtype)
                b[: self.n] = a[: self.n]
                self.cols[k] = b
        for k, v in vals.items():
            self.cols[k][self.n : self.n + m] = v
        idx = np.arange(self.n, self.n + m)
        self.n += m
        return idx

    def __getitem__(self, k: str) -> np.ndarray:
        return self.cols[k][: self.n]


def within_group_index(sizes: np.ndarray) -> np.ndarray:
    """0, 1, ... within each of consecutive groups of the given sizes: [2, 3] -> [0, 1, 0, 1, 2]."""
    sizes = np.asarray(sizes, np.int64)
    starts = np.cumsum(sizes) - sizes
    return np.arange(int(sizes.sum())) - np.repeat(starts, sizes)


def dictionary(codes: np.ndarray, values: list[str]) -> pa.Array:
    """A dictionary-encoded string array from integer codes; a negative code is null."""
    codes = np.asarray(codes)
    mask = codes < 0
    return pa.DictionaryArray.from_arrays(
        pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask), pa.array(values)
    )
