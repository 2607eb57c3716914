"""Fill missing coordinates from the Kommune's Kreis (AGS[:5]) or Land (AGS[:2]).

A Kommune without coordinates would otherwise sink in every list (the engine gives unknown distances
a low factor). The centre of its Kreis is a fair guess for a Gemeinde, and the Land's for a Kreis;
the result is flagged as approximate so the facts and texts can say so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _group_means(keys: np.ndarray, lat: np.ndarray, lon: np.ndarray, known: np.ndarray):
    """Mean lat/lon per key over the rows with known coordinates; NaN for keys without any."""
    uniq, inv = np.unique(keys, return_inverse=True)
    inv = inv.reshape(-1)
    cnt = np.bincount(inv[known], minlength=uniq.size).astype(np.float64)
    s_lat = np.bincount(inv[known], weights=lat[known], minlength=uniq.size)
    s_lon = np.bincount(inv[known], weights=lon[known], minlength=uniq.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_lat = np.where(cnt > 0, s_lat / np.maximum(cnt, 1), np.nan)
        m_lon = np.where(cnt > 0, s_lon / np.maximum(cnt, 1), np.nan)
    return m_lat[inv], m_lon[inv]


def fill_missing(ags: Sequence[str], lat, lon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Filled (lat, lon, approx): a Kommune without coordinates gets the mean of the known
    coordinates of its Kreis (AGS[:5]), else of its Land (AGS[:2]), else stays NaN (approx False).

    Known coordinates are returned unchanged; only known ones feed the means.
    """
    n = len(ags)
    la = np.array(lat, dtype=np.float64, copy=True).reshape(-1) if lat is not None else np.full(n, np.nan)
    lo = np.array(lon, dtype=np.float64, copy=True).reshape(-1) if lon is not None else np.full(n, np.nan)
    if la.shape[0] != n or lo.shape[0] != n:
        raise ValueError("ags, lat and lon must have the same length")
    approx = np.zeros(n, bool)
    if n == 0:
        return la, lo, approx
    known = np.isfinite(la) & np.isfinite(lo)
    missing = ~known
    if not missing.any():
        return la, lo, approx
    codes = np.array([str(a) for a in ags])
    for width in (5, 2):
        if not missing.any():
            break
        keys = np.array([c[:width] for c in codes])
        m_lat, m_lon = _group_means(keys, la, lo, known)
        fill = missing & np.isfinite(m_lat) & np.isfinite(m_lon)
        la[fill], lo[fill] = m_lat[fill], m_lon[fill]
        approx |= fill
        missing &= ~fill
    return la, lo, approx
