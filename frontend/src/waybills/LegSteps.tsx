import { Space, Steps, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Carrier, Leg, PublicLeg, Vehicle } from '../api/models';
import { DateTime } from '../time/DateTime';
import { ClassifierTag } from './ClassifierTag';
import { EtaLine } from './EtaConfidence';
import { bestTime, legStepStatus, type BestTime } from './legs';
import { ModeIcon, useModeLabel } from './modes';
import { usePlaceName } from './places';

type AnyLeg = PublicLeg & Partial<Pick<Leg, 'carrier' | 'vehicle' | 'from_terminal' | 'to_terminal' | 'planned_departure' | 'estimated_departure' | 'actual_departure' | 'eta_confidence'>>;

function TimeLine({ label, time }: { label: string; time: BestTime | null }) {
  if (!time) return null;
  return (
    <div className="leg-time">
      <Typography.Text type="secondary">{label}</Typography.Text> <DateTime value={time.value} />{' '}
      <ClassifierTag classifier={time.classifier} />
    </div>
  );
}

function vehicleText(vehicle: Vehicle | null | undefined, t: (key: string) => string): string | null {
  if (!vehicle) return null;
  const parts: string[] = [];
  if (vehicle.vessel_name) parts.push(vehicle.vessel_name);
  if (vehicle.voyage) parts.push(`${t('detail.voyage')} ${vehicle.voyage}`);
  if (vehicle.imo) parts.push(`IMO ${vehicle.imo}`);
  if (vehicle.train_number) parts.push(`${t('detail.trainNumber')} ${vehicle.train_number}`);
  if (vehicle.truck_plate) parts.push(`${t('detail.truckPlate')} ${vehicle.truck_plate}`);
  return parts.length > 0 ? parts.join(' · ') : null;
}

function carrierText(carrier: Carrier | null | undefined): string | null {
  return carrier?.name ?? null;
}

/** The legs of a journey in order, each with its mode, places, carrier, vehicle and best-known times. */
export function LegSteps({ legs }: { legs: readonly AnyLeg[] }) {
  const { t } = useTranslation();
  const modeLabel = useModeLabel();
  const placeName = usePlaceName();
  const ordered = [...legs].sort((a, b) => a.seq - b.seq);

  return (
    <Steps
      className="leg-steps"
      orientation={ordered.length > 3 ? 'vertical' : 'horizontal'}
      responsive
      items={ordered.map((leg) => {
        const carrier = carrierText(leg.carrier);
        const vehicle = vehicleText(leg.vehicle, t);
        const departure = bestTime(leg.actual_departure, leg.estimated_departure, leg.planned_departure);
        const arrival = bestTime(leg.actual_arrival, leg.estimated_arrival, leg.planned_arrival);
        return {
          key: leg.seq,
          status: legStepStatus(leg.status),
          icon: (
            <span className="leg-icon" data-mode={leg.mode}>
              <ModeIcon mode={leg.mode} size={18} />
            </span>
          ),
          title: `${modeLabel(leg.mode)} · ${t('detail.leg', { seq: leg.seq })}`,
          subTitle: t(`legStatus.${leg.status}`, { defaultValue: leg.status }),
          content: (
            <Space orientation="vertical" size={2} className="leg-content">
              <Typography.Text>
                {placeName(leg.from_location)}
                {leg.from_terminal ? ` · ${leg.from_terminal}` : ''} → {placeName(leg.to_location)}
                {leg.to_terminal ? ` · ${leg.to_terminal}` : ''}
              </Typography.Text>
              {carrier ? (
                <Typography.Text type="secondary">
                  {t('detail.carrier')}: {carrier}
                </Typography.Text>
              ) : null}
              {vehicle ? (
                <Typography.Text type="secondary">
                  {t('detail.vehicle')}: {vehicle}
                </Typography.Text>
              ) : null}
              <TimeLine label={t('detail.departure')} time={departure} />
              <TimeLine label={t('detail.arrival')} time={arrival} />
              {leg.eta_confidence != null && leg.estimated_arrival && !leg.actual_arrival ? (
                <EtaLine arrival={leg.estimated_arrival} confidence={leg.eta_confidence} />
              ) : null}
            </Space>
          ),
        };
      })}
    />
  );
}
