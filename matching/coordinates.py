"""TEMPORARY (lead branch): replaced by the engine branch's matching/coordinates.py."""

from __future__ import annotations

import numpy as np


def fill_missing(ags, lat, lon):
    """Missing coordinates → the mean of the Kreis's known ones, else the Land's; flagged approximate."""
    lat = np.array(lat, dtype=np.float64, copy=True)
    lon = np.array(lon, dtype=np.float64, copy=True)
    approx = np.zeros(lat.shape[0], bool)
    known = np.isfinite(lat) & np.isfinite(lon)
    for width in (5, 2):
        sums: dict[str, list[float]] = {}
        for a, la, lo, ok in zip(ags, lat, lon, known, strict=True):
            if ok:
                acc = sums.setdefault(a[:width], [0.0, 0.0, 0])
                acc[0] += la
                acc[1] += lo
                acc[2] += 1
        for r, a in enumerate(ags):
            if not np.isfinite(lat[r]) and a[:width] in sums:
                s = sums[a[:width]]
                lat[r], lon[r], approx[r] = s[0] / s[2], s[1] / s[2], True
    return lat, lon, approx
