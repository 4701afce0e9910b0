// The bench's one table: per figure, median (min–max) of each system's samples, and each
// taskmaster build's ratio to the best peer (the lowest median among the other systems).

export function median(xs) {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarize(xs) {
  if (xs.length === 0) return null;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Milliseconds and MiB to a precision that fits their size; counts as they are. */
export function formatNumber(v, unit) {
  if (unit === 'count') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  if (v === 0) return '0';
  if (unit === 'MiB') return Math.abs(v) < 1 ? v.toFixed(2) : v.toFixed(1);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? String(Math.round(v)) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function formatCell(summary, unit) {
  if (summary === null) return 'n/a';
  const m = formatNumber(summary.median, unit);
  if (summary.n === 1 || summary.min === summary.max) return m;
  return `${m} (${formatNumber(summary.min, unit)}–${formatNumber(summary.max, unit)})`;
}

/** `tm ÷ best peer` as `0.42×`; '—' when it says nothing (a count, no peer, a best of 0). */
export function formatRatio(tm, peers) {
  const best = peers.filter((p) => p !== null).map((p) => p.median);
  if (tm === null || best.length === 0) return '—';
  const b = Math.min(...best);
  if (b <= 0) return '—';
  const r = tm.median / b;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
}

/**
 * A markdown table. `figures`: [{ id, label, unit, ratio }]; `systems`: [{ label, isTaskmaster }]
 * in column order; `results.get(figureId)?.get(systemLabel)`: the samples.
 */
export function formatTable({ figures, systems, results }) {
  const tms = systems.filter((s) => s.isTaskmaster);
  const peers = systems.filter((s) => !s.isTaskmaster);
  const ratioCols = peers.length > 0 ? tms : [];
  const unitName = { ms: 'ms', MiB: 'MiB', count: 'count' };
  const header = [
    'figure',
    ...systems.map((s) => s.label),
    ...ratioCols.map((t) => `${t.label} ÷ best peer`),
  ];
  const rows = figures.map((f) => {
    const sum = (s) => summarize(results.get(f.id)?.get(s.label) ?? []);
    return [
      `${f.label} (${unitName[f.unit]})`,
      ...systems.map((s) => formatCell(sum(s), f.unit)),
      ...ratioCols.map((t) =>
        f.ratio
          ? formatRatio(
              sum(t),
              peers.map((p) => sum(p)),
            )
          : '—',
      ),
    ];
  });
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
