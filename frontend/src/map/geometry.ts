import type { Geometry, Position } from 'geojson';

/** The [lat, lon] rings of a (Multi)Polygon GeoJSON geometry, as Leaflet draws them; [] otherwise. */
export function polygonRings(geometry: unknown): [number, number][][] {
  if (typeof geometry !== 'object' || geometry === null) return [];
  const g = geometry as Geometry;
  const ring = (positions: Position[]) => positions.map((p) => [p[1] ?? 0, p[0] ?? 0] as [number, number]);
  if (g.type === 'Polygon') return g.coordinates.map(ring);
  if (g.type === 'MultiPolygon') return g.coordinates.flatMap((polygon) => polygon.map(ring));
  return [];
}

/** The bounds [[south, west], [north, east]] of some points, or null for none. */
export function boundsOf(points: readonly (readonly [number, number])[]): [[number, number], [number, number]] | null {
  if (points.length === 0) return null;
  let south = 90;
  let west = 180;
  let north = -90;
  let east = -180;
  for (const [lat, lon] of points) {
    south = Math.min(south, lat);
    north = Math.max(north, lat);
    west = Math.min(west, lon);
    east = Math.max(east, lon);
  }
  return [
    [south, west],
    [north, east],
  ];
}
