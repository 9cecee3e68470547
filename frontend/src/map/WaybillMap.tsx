import { SettingOutlined } from '@ant-design/icons';
import { Button, Form, Input, Popover, Segmented, Space, Typography } from 'antd';
import type { FeatureCollection } from 'geojson';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CircleMarker, GeoJSON, MapContainer, Marker, Pane, Polygon, Polyline, TileLayer, Tooltip, useMap, useMapEvents } from 'react-leaflet';
import type { Gate, Terminal } from '../api/models';
import type { LiveFix, LiveState } from '../tracking/live';
import { ModeIcon, useModeLabel } from '../waybills/modes';
import { isTileUrl, loadCountries, setTileUrlSetting, tileUrlSetting } from './basemap';
import { clusterVehicles, type ClusterPoint, type VehiclePoint } from './cluster';
import { boundsOf, polygonRings } from './geometry';
import { modeColour } from './modes';

export interface MapPlace {
  unlocode: string;
  label: string;
  lat: number | null | undefined;
  lon: number | null | undefined;
}

export interface MapLeg {
  seq: number;
  mode: string;
  from: MapPlace;
  to: MapPlace;
}

export interface WaybillMapProps {
  legs: readonly MapLeg[];
  terminals?: readonly Terminal[];
  gates?: readonly Gate[];
  live?: LiveState;
  /** Accessible name of the map region. */
  label: string;
  height?: number;
}

const hasPosition = (place: MapPlace): place is MapPlace & { lat: number; lon: number } =>
  typeof place.lat === 'number' && typeof place.lon === 'number';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char);

function vehicleIcon(fix: LiveFix): L.DivIcon {
  const colour = modeColour(fix.mode);
  const rotation = fix.courseDeg ?? 0;
  const arrow =
    fix.courseDeg === null
      ? ''
      : `<svg class="vehicle-marker__arrow" viewBox="0 0 20 20" style="transform:rotate(${rotation}deg)" aria-hidden="true"><path d="M10 1 L15 11 L10 8.5 L5 11 Z" fill="${colour}"/></svg>`;
  return L.divIcon({
    className: 'vehicle-marker',
    html: `${arrow}<span class="vehicle-marker__dot" style="background:${colour}"></span><span class="vehicle-marker__label">${escapeHtml(fix.vehicle ?? fix.device)}</span>`,
    iconSize: [20, 20],
    iconAnchor: [10, 10],
  });
}

function clusterIcon(count: number): L.DivIcon {
  const size = count < 10 ? 30 : count < 100 ? 36 : 44;
  return L.divIcon({
    className: 'vehicle-cluster',
    html: `<span>${count}</span>`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
  });
}

/** Fits the view to the route once, when the map first has something to show. */
function FitBounds({ points }: { points: [number, number][] }) {
  const map = useMap();
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (done) return;
    const bounds = boundsOf(points);
    if (!bounds) return;
    map.fitBounds(bounds, { padding: [32, 32], maxZoom: 9 });
    setDone(true);
  }, [map, points, done]);
  return null;
}

function Basemap() {
  const [countries, setCountries] = useState<FeatureCollection | null>(null);
  useEffect(() => {
    let live = true;
    void loadCountries().then((fc) => {
      if (live) setCountries(fc);
    });
    return () => {
      live = false;
    };
  }, []);
  if (!countries) return null;
  return (
    <GeoJSON
      data={countries}
      pane="basemap"
      interactive={false}
      style={{ color: '#9aa7b8', weight: 0.7, fillColor: '#f4f1ea', fillOpacity: 1 }}
    />
  );
}

function VehicleLayer({ vehicles, speedLabel }: { vehicles: readonly LiveFix[]; speedLabel: (fix: LiveFix) => string }) {
  const map = useMap();
  const [view, setView] = useState(() => ({ zoom: map.getZoom(), bounds: map.getBounds() }));
  useMapEvents({
    moveend: () => setView({ zoom: map.getZoom(), bounds: map.getBounds() }),
  });
  const points = useMemo<(VehiclePoint | ClusterPoint)[]>(() => {
    const b = view.bounds;
    return clusterVehicles(vehicles, view.zoom, [
      Math.max(-180, b.getWest() - 1),
      Math.max(-85, b.getSouth() - 1),
      Math.min(180, b.getEast() + 1),
      Math.min(85, b.getNorth() + 1),
    ]);
  }, [vehicles, view]);

  return (
    <>
      {points.map((point) =>
        point.kind === 'cluster' ? (
          <Marker
            key={point.key}
            position={[point.lat, point.lon]}
            icon={clusterIcon(point.count)}
            eventHandlers={{ click: () => map.setView([point.lat, point.lon], point.expansionZoom) }}
          />
        ) : (
          <Marker key={point.key} position={[point.fix.lat, point.fix.lon]} icon={vehicleIcon(point.fix)} keyboard>
            <Tooltip direction="top" offset={[0, -10]}>
              {speedLabel(point.fix)}
            </Tooltip>
          </Marker>
        ),
      )}
    </>
  );
}

function TileSettings({ online, onOnline }: { online: boolean; onOnline: (on: boolean) => void }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState(tileUrlSetting);
  const [open, setOpen] = useState(false);
  const valid = url === '' || isTileUrl(url);
  return (
    <Space size={8} wrap>
      <Segmented<'offline' | 'online'>
        size="small"
        aria-label={t('map.basemap')}
        value={online && isTileUrl(tileUrlSetting()) ? 'online' : 'offline'}
        onChange={(value) => onOnline(value === 'online')}
        options={[
          { value: 'offline', label: t('map.offline') },
          { value: 'online', label: t('map.online'), disabled: !isTileUrl(tileUrlSetting()) },
        ]}
      />
      <Popover
        open={open}
        onOpenChange={setOpen}
        trigger="click"
        title={t('map.tileUrlTitle')}
        content={
          <Form
            layout="vertical"
            style={{ width: 320 }}
            onFinish={() => {
              setTileUrlSetting(url);
              onOnline(isTileUrl(url));
              setOpen(false);
            }}
          >
            <Form.Item
              label={t('map.tileUrl')}
              validateStatus={valid ? '' : 'error'}
              help={valid ? t('map.tileUrlHelp') : t('map.tileUrlInvalid')}
            >
              <Input value={url} onChange={(event) => setUrl(event.target.value)} placeholder="https://…/{z}/{x}/{y}.png" />
            </Form.Item>
            <Button type="primary" htmlType="submit" disabled={!valid} size="small">
              {t('common.save')}
            </Button>
          </Form>
        }
      >
        <Button size="small" icon={<SettingOutlined />} aria-label={t('map.tileUrlTitle')} />
      </Popover>
    </Space>
  );
}

/**
 * A waybill's journey on a map: the planned route of each leg (dashed, in its mode's colour), the actual
 * track (solid), terminals and gate geofences near the route, and live vehicles (clustered when many).
 * The basemap is Natural Earth bundled with the app; an online tile layer is a user setting.
 */
export function WaybillMap({ legs, terminals = [], gates = [], live, label, height = 420 }: WaybillMapProps) {
  const { t } = useTranslation();
  const modeLabel = useModeLabel();
  const [online, setOnline] = useState(false);
  const tileUrl = tileUrlSetting();

  const ordered = useMemo(() => [...legs].sort((a, b) => a.seq - b.seq), [legs]);
  const routePoints = useMemo(() => {
    const points: [number, number][] = [];
    for (const leg of ordered) {
      if (hasPosition(leg.from)) points.push([leg.from.lat, leg.from.lon]);
      if (hasPosition(leg.to)) points.push([leg.to.lat, leg.to.lon]);
    }
    return points;
  }, [ordered]);
  const places = useMemo(() => {
    const seen = new Map<string, MapPlace & { lat: number; lon: number }>();
    for (const leg of ordered) {
      for (const place of [leg.from, leg.to]) if (hasPosition(place) && !seen.has(place.unlocode)) seen.set(place.unlocode, place);
    }
    return [...seen.values()];
  }, [ordered]);
  const vehicles = useMemo(() => Object.values(live?.vehicles ?? {}), [live]);
  const modes = useMemo(() => [...new Set(ordered.map((leg) => leg.mode))], [ordered]);

  const speedLabel = (fix: LiveFix) =>
    [
      fix.vehicle ?? fix.device,
      `${modeLabel(fix.mode)} · ${t('detail.leg', { seq: fix.legSeq })}`,
      fix.speedKmh !== null ? `${Math.round(fix.speedKmh)} km/h` : null,
    ]
      .filter(Boolean)
      .join(' · ');

  return (
    <div className="waybill-map">
      <div className="waybill-map__toolbar">
        <ul className="map-legend" aria-label={t('map.legend')}>
          {modes.map((mode) => (
            <li key={mode} style={{ color: modeColour(mode) }}>
              <ModeIcon mode={mode} /> <span className="map-legend__text">{modeLabel(mode)}</span>
            </li>
          ))}
          <li>
            <span className="map-legend__line map-legend__line--planned" /> <span className="map-legend__text">{t('map.planned')}</span>
          </li>
          <li>
            <span className="map-legend__line" /> <span className="map-legend__text">{t('map.actual')}</span>
          </li>
          {gates.length > 0 ? (
            <li>
              <span className="map-legend__fence" /> <span className="map-legend__text">{t('map.geofence')}</span>
            </li>
          ) : null}
        </ul>
        <TileSettings online={online} onOnline={setOnline} />
      </div>
      <div role="region" aria-label={label} className="waybill-map__frame" style={{ height }}>
        <MapContainer
          className="yidan-map"
          center={routePoints[0] ?? [31.2, 121.5]}
          zoom={5}
          minZoom={2}
          maxZoom={18}
          worldCopyJump
          style={{ height: '100%', width: '100%' }}
          attributionControl={false}
        >
          {/* Below the overlays whatever order the layers arrive in: the basemap loads last. */}
          <Pane name="basemap" style={{ zIndex: 200 }}>
            {online && isTileUrl(tileUrl) ? <TileLayer url={tileUrl} pane="basemap" /> : <Basemap />}
          </Pane>
          <FitBounds points={routePoints} />
          {ordered.map((leg) =>
            hasPosition(leg.from) && hasPosition(leg.to) ? (
              <Polyline
                key={`plan-${leg.seq}`}
                positions={[
                  [leg.from.lat, leg.from.lon],
                  [leg.to.lat, leg.to.lon],
                ]}
                className={`route-planned route-planned--${leg.mode}`}
                pathOptions={{ color: modeColour(leg.mode), weight: 3, dashArray: '6 8', opacity: 0.9 }}
              >
                <Tooltip sticky>{`${modeLabel(leg.mode)} · ${t('detail.leg', { seq: leg.seq })}: ${leg.from.label} → ${leg.to.label}`}</Tooltip>
              </Polyline>
            ) : null,
          )}
          {(live?.lines ?? []).map((line, index) =>
            line.points.length > 1 ? (
              <Polyline
                key={`track-${line.legSeq}-${index}`}
                positions={line.points}
                className={`route-actual route-actual--${line.mode}`}
                pathOptions={{ color: modeColour(line.mode), weight: 4, opacity: 1 }}
              />
            ) : null,
          )}
          {gates.map((gate) =>
            polygonRings(gate.geofence).length > 0 ? (
              <Polygon
                key={`gate-${gate.code}`}
                positions={polygonRings(gate.geofence)}
                className="gate-fence"
                pathOptions={{ color: '#2f9e44', weight: 2, fillOpacity: 0.25 }}
              >
                <Tooltip>{`${t('map.gate')}: ${gate.name} (${gate.code})`}</Tooltip>
              </Polygon>
            ) : null,
          )}
          {terminals.map((terminal) => (
            <CircleMarker
              key={`terminal-${terminal.code}`}
              center={[terminal.lat, terminal.lon]}
              radius={4}
              pathOptions={{ color: '#343a40', weight: 1, fillColor: '#ffffff', fillOpacity: 1 }}
            >
              <Tooltip>{`${t('map.terminal')}: ${terminal.name}`}</Tooltip>
            </CircleMarker>
          ))}
          {places.map((place) => {
            // Two places close together (an inland depot and its port) label away from each other.
            const crowded = places.some(
              (other) => other !== place && Math.abs(other.lat - place.lat) < 0.6 && other.lon > place.lon && other.lon - place.lon < 2,
            );
            return (
            <CircleMarker
              key={`place-${place.unlocode}`}
              center={[place.lat, place.lon]}
              radius={6}
              className="route-place"
              pathOptions={{ color: '#1f2933', weight: 2, fillColor: '#ffffff', fillOpacity: 1 }}
            >
              <Tooltip permanent direction={crowded ? 'left' : 'right'} offset={[crowded ? -8 : 8, 0]} className="place-label">
                {place.label}
              </Tooltip>
            </CircleMarker>
            );
          })}
          <VehicleLayer vehicles={vehicles} speedLabel={speedLabel} />
        </MapContainer>
      </div>
      {vehicles.length > 0 ? (
        <Typography.Text type="secondary" className="waybill-map__caption">
          {t('map.vehicles', { count: vehicles.length })}
        </Typography.Text>
      ) : null}
    </div>
  );
}

export default WaybillMap;
