"""Distances and shape overlap on the Earth's surface, for canvass areas and sensitive
locations. Overlaps are computed on a local flat projection (metres east/north of a
reference point): exact enough for areas of a few tens of kilometres."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_M = 6_371_000.0
LatLon = tuple[float, float]
Point = tuple[float, float]  # metres east, north of the reference


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(a))


def in_polygon(lat: float, lon: float, polygon: Sequence[LatLon]) -> bool:
    """Ray casting: is the point inside the polygon (vertices as lat, lon, or any planar
    x, y pairs)?"""
    inside = False
    points = list(polygon)
    for (lat1, lon1), (lat2, lon2) in zip(points, points[1:] + points[:1], strict=True):
        if (lon1 > lon) != (lon2 > lon):
            crossing = lat1 + (lon - lon1) * (lat2 - lat1) / (lon2 - lon1)
            if lat < crossing:
                inside = not inside
    return inside


@dataclass(frozen=True)
class Area:
    """A circle (center + radius_m) or a polygon of (lat, lon) vertices."""

    center: LatLon | None = None
    radius_m: float = 0.0
    polygon: tuple[LatLon, ...] = ()

    def reference(self) -> LatLon:
        if self.center is not None:
            return self.center
        return (sum(p[0] for p in self.polygon) / len(self.polygon),
                sum(p[1] for p in self.polygon) / len(self.polygon))

    def contains(self, lat: float, lon: float) -> bool:
        if self.center is not None:
            return distance_m(self.center[0], self.center[1], lat, lon) <= self.radius_m
        return in_polygon(lat, lon, self.polygon)


def overlaps(a: Area, b: Area) -> bool:
    """Do the two areas share any point (touching counts)?"""
    ref = a.reference()
    if a.center is not None and b.center is not None:
        return distance_m(*a.center, *b.center) <= a.radius_m + b.radius_m
    if a.center is not None or b.center is not None:
        circle, poly = (a, b) if a.center is not None else (b, a)
        assert circle.center is not None
        center = _project(ref, circle.center)
        ring = [_project(ref, p) for p in poly.polygon]
        return (poly.contains(*circle.center)
                or min(_segment_distance(center, s, e) for s, e in _edges(ring))
                <= circle.radius_m)
    ring_a = [_project(ref, p) for p in a.polygon]
    ring_b = [_project(ref, p) for p in b.polygon]
    return (any(b.contains(*p) for p in a.polygon) or any(a.contains(*p) for p in b.polygon)
            or any(_cross(p, q, r, s) for p, q in _edges(ring_a) for r, s in _edges(ring_b)))


def _project(ref: LatLon, point: LatLon) -> Point:
    x = math.radians(point[1] - ref[1]) * EARTH_M * math.cos(math.radians(ref[0]))
    return x, math.radians(point[0] - ref[0]) * EARTH_M


def _edges(ring: list[Point]) -> list[tuple[Point, Point]]:
    return list(zip(ring, ring[1:] + ring[:1], strict=True))


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy)
                                              / length2))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def _cross(p: Point, q: Point, r: Point, s: Point) -> bool:
    """Do segments pq and rs intersect (including touching)?"""
    def side(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2, d3, d4 = side(r, s, p), side(r, s, q), side(p, q, r), side(p, q, s)
    if d1 * d2 < 0 and d3 * d4 < 0:  # each segment's ends on opposite sides of the other
        return True
    return any(d == 0 and _within(a, b, c) for d, a, b, c in
               ((d1, r, s, p), (d2, r, s, q), (d3, p, q, r), (d4, p, q, s)))


def _within(a: Point, b: Point, c: Point) -> bool:
    return (min(a[0], b[0]) <= c[0] <= max(a[0], b[0])
            and min(a[1], b[1]) <= c[1] <= max(a[1], b[1]))
