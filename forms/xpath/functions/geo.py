"""Geometry on the Earth: distance() and area() over geopoints, a geotrace or a geoshape."""
from __future__ import annotations

import math
from typing import Callable

from ..values import NAN, to_string
from .base import gather

# The radius JavaRosa's GeoUtils uses (WGS 84 equatorial), so figures match Collect's.
EARTH_RADIUS = 6378137.0


def _points(values: list) -> list[tuple[float, float]] | None:
    """Latitude/longitude pairs from geopoint values, or from one 'lat lon alt acc; ...' list."""
    texts = [to_string(v) for v in values if to_string(v).strip()]
    if len(texts) == 1 and ";" in texts[0]:
        texts = [t for t in texts[0].split(";") if t.strip()]
    points = []
    for text in texts:
        parts = text.split()
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        points.append((math.radians(lat), math.radians(lon)))
    return points


def _distance(points: list[tuple[float, float]]) -> float:
    """Sum of great-circle (haversine) distances between consecutive points, in metres."""
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in zip(points, points[1:]):
        h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        total += 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))
    return total


def _area(points: list[tuple[float, float]]) -> float:
    """Area of the spherical polygon, in square metres (the polygon closes itself)."""
    if len(points) < 3:
        return 0.0
    total = 0.0
    ring = points + [points[0]] if points[0] != points[-1] else points
    for (lat1, lon1), (lat2, lon2) in zip(ring, ring[1:]):
        # Signed area of the spherical triangle (pole, p1, p2), summed around the ring.
        t1, t2 = math.tan((math.pi / 2 - lat1) / 2), math.tan((math.pi / 2 - lat2) / 2)
        d_lon = lon2 - lon1
        total += 2 * math.atan2(math.sin(d_lon) * t1 * t2, 1 + t1 * t2 * math.cos(d_lon))
    return abs(total * EARTH_RADIUS ** 2)


def _measure(fn: Callable[[list], float]) -> Callable:
    def build(p, args, pos):
        collect = gather(args)

        def run(ctx):
            points = _points(collect(ctx))
            return NAN if points is None else fn(points)
        return run
    return build


FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "distance": (1, None, _measure(_distance)),
    "area": (1, None, _measure(_area)),
}
