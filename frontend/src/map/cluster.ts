import Supercluster from 'supercluster';
import type { LiveFix } from '../tracking/live';

export type VehiclePoint = { kind: 'vehicle'; key: string; fix: LiveFix };
export type ClusterPoint = { kind: 'cluster'; key: string; lat: number; lon: number; count: number; expansionZoom: number };

/**
 * Groups vehicles close together at a zoom into clusters (supercluster), so a map with many trucks
 * stays readable; a lone vehicle stays itself.
 */
export function clusterVehicles(
  vehicles: readonly LiveFix[],
  zoom: number,
  bbox: [number, number, number, number] = [-180, -85, 180, 85],
  radius = 48,
): (VehiclePoint | ClusterPoint)[] {
  const index = new Supercluster<{ i: number }, Record<string, never>>({ radius, maxZoom: 16 });
  index.load(
    vehicles.map((fix, i) => ({
      type: 'Feature' as const,
      properties: { i },
      geometry: { type: 'Point' as const, coordinates: [fix.lon, fix.lat] },
    })),
  );
  return index.getClusters(bbox, Math.round(zoom)).map((feature) => {
    const [lon, lat] = feature.geometry.coordinates as [number, number];
    const props = feature.properties as { cluster?: boolean; cluster_id?: number; point_count?: number; i?: number };
    if (props.cluster && props.cluster_id !== undefined) {
      return {
        kind: 'cluster',
        key: `cluster-${props.cluster_id}`,
        lat,
        lon,
        count: props.point_count ?? 0,
        expansionZoom: index.getClusterExpansionZoom(props.cluster_id),
      };
    }
    const fix = vehicles[props.i ?? 0]!;
    return { kind: 'vehicle', key: fix.vehicle ?? fix.device, fix };
  });
}
