"""The one haversine: known distances, vectors and scalars alike, unknown coordinates stay unknown."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching.geo import haversine_km


def test_one_degree_of_latitude_is_about_111_km():
    assert haversine_km(50.0, 7.0, 51.0, 7.0) == pytest.approx(111.2, abs=0.1)
    assert isinstance(haversine_km(50.0, 7.0, 51.0, 7.0), float)


def test_agrees_with_the_spherical_law_of_cosines():
    # Kreuzau -> Aldenhoven, computed independently.
    a, b = (50.74596, 6.489241), (50.895696, 6.281953)
    p1, p2, dl = math.radians(a[0]), math.radians(b[0]), math.radians(b[1] - a[1])
    expected = 6371.0088 * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))
    assert haversine_km(*a, *b) == pytest.approx(expected, rel=1e-9)


def test_vectorised_and_nan_for_unknown_coordinates():
    lat = np.array([50.0, np.nan, 48.1])
    lon = np.array([7.0, 8.0, 11.6])
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    assert d.shape == (3, 3)
    assert d[0, 0] == 0.0 and math.isnan(d[1, 0]) and d[0, 2] == pytest.approx(d[2, 0])
    assert d[0, 2] == pytest.approx(haversine_km(50.0, 7.0, 48.1, 11.6))
