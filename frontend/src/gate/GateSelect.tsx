import { Select } from 'antd';
import type { CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import type { Gate } from '../api/models';

/** Picks a gate by name or code. With an `id`, a form label names it; without, it names itself "gate". */
export function GateSelect({
  gate,
  gates,
  onChange,
  id,
  style,
}: {
  gate: string | undefined;
  gates: Gate[];
  onChange: (gate: string) => void;
  id?: string;
  style?: CSSProperties;
}) {
  const { t, i18n } = useTranslation();
  return (
    <Select
      {...(id ? { id } : { 'aria-label': t('gate.gate') })}
      value={gate}
      onChange={onChange}
      showSearch={{ optionFilterProp: 'label' }}
      style={style ?? { minWidth: 260 }}
      options={gates.map((g) => ({
        value: g.code,
        label: `${i18n.language.startsWith('zh') && g.name_zh ? g.name_zh : g.name} · ${g.code}`,
      }))}
    />
  );
}
