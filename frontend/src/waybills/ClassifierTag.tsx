import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import type { EventClassifier } from '../api/models';

/** Planned, estimated and actual look different wherever a time is shown. */
export const CLASSIFIER_COLORS: Record<EventClassifier, string> = {
  ACT: 'green',
  EST: 'gold',
  PLN: 'default',
};

export function ClassifierTag({ classifier }: { classifier: EventClassifier }) {
  const { t } = useTranslation();
  return (
    <Tag color={CLASSIFIER_COLORS[classifier] ?? 'default'} variant="outlined" className={`classifier classifier--${classifier}`}>
      {t(`events.classifier.${classifier}`, { defaultValue: classifier })}
    </Tag>
  );
}
