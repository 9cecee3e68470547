export interface Bar {
  label: string;
  value: number;
  /** Shown on hover and read by screen readers. */
  text: string;
}

/** A small accessible bar chart in SVG (no chart library): one bar per label, values from zero. */
export function BarChart({ bars, title, colour = '#1464c8', height = 180 }: { bars: readonly Bar[]; title: string; colour?: string; height?: number }) {
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const width = Math.max(240, bars.length * 56);
  const plot = height - 36;
  return (
    <figure className="bar-chart" aria-label={title}>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" height={height} role="img" aria-label={title} preserveAspectRatio="xMinYMin meet">
        <line x1={0} x2={width} y1={plot + 0.5} y2={plot + 0.5} stroke="#d0d7e2" />
        {bars.map((bar, index) => {
          const h = Math.round((bar.value / max) * (plot - 18));
          const x = index * 56 + 12;
          return (
            <g key={bar.label}>
              <title>{`${bar.label}: ${bar.text}`}</title>
              <rect x={x} y={plot - h} width={32} height={h} rx={3} fill={colour} />
              <text x={x + 16} y={plot - h - 4} textAnchor="middle" fontSize={10} fill="#495057">
                {bar.text}
              </text>
              <text x={x + 16} y={plot + 14} textAnchor="middle" fontSize={11} fill="#495057">
                {bar.label}
              </text>
            </g>
          );
        })}
      </svg>
      {bars.length === 0 ? <figcaption className="bar-chart__empty">—</figcaption> : null}
    </figure>
  );
}
