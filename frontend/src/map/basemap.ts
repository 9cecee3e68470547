import type { FeatureCollection } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

let countries: Promise<FeatureCollection> | null = null;

/**
 * Country shapes from Natural Earth (world-atlas, 1:50m), bundled with the app as their own chunk,
 * so the map has a basemap with no tile server and no internet.
 */
export function loadCountries(): Promise<FeatureCollection> {
  countries ??= import('world-atlas/countries-50m.json').then((module) => {
    const topology = (module.default ?? module) as unknown as Topology<{ countries: GeometryCollection }>;
    return feature(topology, topology.objects.countries) as FeatureCollection;
  });
  return countries;
}

export const TILE_URL_KEY = 'yidan.tileUrl';

/** The online tile URL template ({z}/{x}/{y}) chosen by the user, else the build's VITE_TILE_URL, else none. */
export function tileUrlSetting(): string {
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem(TILE_URL_KEY);
  } catch {
    stored = null;
  }
  return (stored ?? import.meta.env.VITE_TILE_URL ?? '').trim();
}

/** Remembers (or, with an empty value, forgets) the user's tile URL. */
export function setTileUrlSetting(url: string): void {
  try {
    if (url.trim()) window.localStorage.setItem(TILE_URL_KEY, url.trim());
    else window.localStorage.removeItem(TILE_URL_KEY);
  } catch {
    // storage disabled: the setting lasts for this page only
  }
}

/** True for a template Leaflet can use: http(s) with {z}, {x} and {y}. */
export function isTileUrl(url: string): boolean {
  return /^https?:\/\//i.test(url) && ['{z}', '{x}', '{y}'].every((part) => url.includes(part));
}
