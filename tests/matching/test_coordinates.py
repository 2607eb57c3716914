"""fill_missing: Kreis centre, else Land centre, else unknown; flagged as approximate."""

from __future__ import annotations

import numpy as np
import pytest

from matching.coordinates import fill_missing


def test_kreis_then_land_then_nothing():
    ags = ["05358004", "05358008", "05358012", "05366000", "05334002", "09162000"]
    lat = np.array([50.8, 50.9, np.nan, np.nan, 50.7, np.nan])
    lon = np.array([6.4, 6.6, np.nan, np.nan, 6.2, np.nan])
    la, lo, approx = fill_missing(ags, lat, lon)
    assert approx.tolist() == [False, False, True, True, False, False]
    assert (la[2], lo[2]) == (pytest.approx(50.85), pytest.approx(6.5))  # its Kreis 05358
    assert (la[3], lo[3]) == (pytest.approx((50.8 + 50.9 + 50.7) / 3), pytest.approx(6.4))  # Land 05
    assert np.isnan(la[5]) and np.isnan(lo[5])  # Bavaria: nothing known
    np.testing.assert_array_equal(la[[0, 1, 4]], lat[[0, 1, 4]])  # known ones unchanged
    assert np.isnan(lat[2])  # the input is not modified


def test_nothing_missing_and_empty():
    la, lo, approx = fill_missing(["01001000"], [54.8], [9.4])
    assert la.tolist() == [54.8] and lo.tolist() == [9.4] and not approx.any()
    la, lo, approx = fill_missing([], [], [])
    assert la.size == lo.size == approx.size == 0
    la, lo, approx = fill_missing(["01001000", "01002000"], None, None)
    assert np.isnan(la).all() and not approx.any()
