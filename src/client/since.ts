import { UsageError } from './usage-error.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `tm log --since TIME` as epoch ms. TIME is a duration back from now (`30s`, `10m`, `2h`,
 * `1d`), a date and time in local time unless it names its zone (`2026-11-24`,
 * `2026-11-24 21:25`, `2026-11-24T21:25:10.703Z`), a time of today (`21:25`), or epoch ms.
 */
export function parseSince(text: string, nowMs: number): number {
  const t = text.trim();
  const relative = /^(\d+(?:\.\d+)?)([smhd])$/.exec(t);
  if (relative !== null) return nowMs - Math.round(Number(relative[1]) * UNIT_MS[relative[2]!]!);
  if (/^\d+$/.test(t)) return Number(t);
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(t);
  if (clock !== null) {
    const [h, m, s] = [clock[1], clock[2], clock[3] ?? '0'].map(Number) as [number, number, number];
    if (h < 24 && m < 60 && s < 60) {
      const today = new Date(nowMs);
      today.setHours(h, m, s, Number((clock[4] ?? '0').padEnd(3, '0')));
      return today.getTime();
    }
  }
  const date =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      t,
    );
  if (date !== null) {
    const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = ''] = date;
    const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${normalizeZone(zone)}`;
    const ms = Date.parse(iso);
    // Date.parse rolls Feb 30 over to March: a date that does not read back is not a date
    if (!Number.isNaN(ms) && isRealDate(Number(y), Number(mo), Number(d))) return ms;
  }
  throw new UsageError(
    `--since: expected a time like 2026-11-24 21:25, 21:25, 30s, 10m, 2h, 1d or epoch ms, found "${text}"`,
  );
}

function normalizeZone(zone: string): string {
  if (zone === '' || zone.toUpperCase() === 'Z') return zone.toUpperCase();
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
