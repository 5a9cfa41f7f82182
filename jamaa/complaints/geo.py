"""Plain geometry on WGS 84 coordinates: enough for a commune's outline and "within 50 m" (no GIS database needed, so
SQLite and PostgreSQL behave the same)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

EARTH_RADIUS_M = 6_371_008.8

Ring = Sequence[Sequence[float]]


def _polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coordinates]
    if kind == "MultiPolygon":
        return list(coordinates)
    raise ValueError(f"Unsupported geometry type: {kind!r} (Polygon or MultiPolygon)")


def _in_ring(lat: float, lon: float, ring: Ring) -> bool:
    """Even-odd rule on a ring of [lon, lat] points (closed or not)."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(geometry: dict[str, Any], lat: float, lon: float) -> bool:
    """Whether the point is inside the (Multi)Polygon: in an outer ring and in none of its holes."""
    for polygon in _polygons(geometry):
        if polygon and _in_ring(lat, lon, polygon[0]) and not any(_in_ring(lat, lon, hole) for hole in polygon[1:]):
            return True
    return False


def bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) of the outline."""
    points: Iterable[Sequence[float]] = (pt for polygon in _polygons(geometry) for ring in polygon for pt in ring)
    lons, lats = zip(*((p[0], p[1]) for p in points), strict=True)
    return min(lats), min(lons), max(lats), max(lons)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def box_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """A (min_lat, min_lon, max_lat, max_lon) box that contains every point within `radius_m` (for an indexed
    prefilter before the exact distance)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def valid_coordinates(lat: Any, lon: Any) -> tuple[float, float] | None:
    """The pair as floats when both are finite WGS 84 degrees, else None."""
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(la) and math.isfinite(lo)) or not (-90 <= la <= 90) or not (-180 <= lo <= 180):
        return None
    return la, lo
