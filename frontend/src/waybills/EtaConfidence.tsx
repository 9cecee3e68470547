import { Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { DateTime } from '../time/DateTime';

export type EtaConfidenceLevel = 'high' | 'medium' | 'low';

/** Tag colours of the confidence levels. */
export const ETA_CONFIDENCE_COLORS: Record<EtaConfidenceLevel, string> = {
  high: 'green',
  medium: 'gold',
  low: 'red',
};

/** The level of a confidence between 0 and 1: high from 0.7, medium from 0.4, else low. */
export function etaConfidenceLevel(confidence: number): EtaConfidenceLevel {
  if (confidence >= 0.7) return 'high';
  if (confidence >= 0.4) return 'medium';
  return 'low';
}

/** A confidence as a whole percentage, clamped to 0–100. */
export function confidencePercent(confidence: number): number {
  return Math.round(Math.min(1, Math.max(0, confidence)) * 100);
}

/** The confidence of an estimate as a coloured tag with its percentage. */
export function EtaConfidenceTag({ confidence }: { confidence: number }) {
  const { t } = useTranslation();
  const level = etaConfidenceLevel(confidence);
  return (
    <Tag color={ETA_CONFIDENCE_COLORS[level]} className={`eta-confidence eta-confidence--${level}`}>
      {t(`eta.level.${level}`)} · {t('eta.confidence', { percent: confidencePercent(confidence) })}
    </Tag>
  );
}

/** "ETA" with the time in the user's zone and the confidence tag. */
export function EtaLine({ arrival, confidence }: { arrival: string; confidence: number }) {
  const { t } = useTranslation();
  return (
    <Space size={4} wrap className="eta-line">
      <Typography.Text type="secondary">{t('eta.label')}</Typography.Text>
      <DateTime value={arrival} />
      <EtaConfidenceTag confidence={confidence} />
    </Space>
  );
}
