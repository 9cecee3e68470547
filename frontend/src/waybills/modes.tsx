import { Space, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';

const ICON_PATHS: Record<string, string> = {
  // hull with a bridge, over water
  VESSEL:
    'M4 15h16l-2.2 4.2a1.5 1.5 0 0 1-1.3.8H7.5a1.5 1.5 0 0 1-1.3-.8L4 15Zm3-2V9h5V5h3v4h2v4H7Zm-5 9.5c1.5 0 2-.8 3.3-.8s1.8.8 3.3.8 1.9-.8 3.4-.8 1.9.8 3.4.8 1.9-.8 3.3-.8 1.8.8 3.3.8',
  // locomotive front on rails
  RAIL: 'M7 3h10a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3H7a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3Zm0 3v4h10V6H7Zm1.5 7.5a1.5 1.5 0 1 0 0 .01Zm7 0a1.5 1.5 0 1 0 0 .01ZM8 18l-3 4m11-4 3 4',
  // box truck
  TRUCK:
    'M2 6h12v10H2V6Zm12 4h4l3 3v3h-7v-6Zm-8.5 7.5a2 2 0 1 0 0 .01Zm11 0a2 2 0 1 0 0 .01Z',
  // flat barge with a pusher
  BARGE: 'M2 14h15l-1.5 4h-12L2 14Zm15 0h3v-4h-3v4Zm-12-3h9v3H5v-3Zm-3 9.5c1.5 0 2-.8 3.3-.8s1.8.8 3.3.8 1.9-.8 3.4-.8 1.9.8 3.4.8',
};

/** A small line icon of a transport mode. */
export function ModeIcon({ mode, size = 16 }: { mode: string; size?: number }) {
  const path = ICON_PATHS[mode] ?? ICON_PATHS.TRUCK;
  return (
    <svg
      className="mode-icon"
      data-mode={mode}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={path} />
    </svg>
  );
}

/** The translated name of a mode (海运 / Sea …). */
export function useModeLabel(): (mode: string) => string {
  const { t } = useTranslation();
  return (mode) => t(`modes.${mode}`, { defaultValue: mode });
}

/** Icon and name of a mode. */
export function ModeLabel({ mode }: { mode: string }) {
  const label = useModeLabel();
  return (
    <Space size={4} className="mode-label">
      <ModeIcon mode={mode} />
      <span>{label(mode)}</span>
    </Space>
  );
}

/** The modes of a journey as icons with their names on hover. */
export function ModeIcons({ modes }: { modes: readonly string[] }) {
  const label = useModeLabel();
  return (
    <Space size={6}>
      {modes.map((mode, index) => (
        <Tooltip key={`${mode}-${index}`} title={label(mode)}>
          <span role="img" aria-label={label(mode)} className="mode-chip">
            <ModeIcon mode={mode} />
          </span>
        </Tooltip>
      ))}
    </Space>
  );
}
