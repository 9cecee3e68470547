/** The 一 mark: one line for one waybill. */
export function ProductMark({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#1464c8" />
      <rect x="6" y="14.5" width="20" height="3" rx="1.5" fill="#fff" />
      <circle cx="6.5" cy="16" r="2.5" fill="#7fc4ff" />
      <circle cx="25.5" cy="16" r="2.5" fill="#7fc4ff" />
    </svg>
  );
}
