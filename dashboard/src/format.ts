import cronstrue from 'cronstrue';

/** The viewer's time zone, as the browser reports it. */
export const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A time in the viewer's zone: just the time when it is today, else date and time. */
export function when(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? timeOnly.format(d) : dateTime.format(d);
}

/** "in 5 s", "3 min ago". */
export function relative(iso: string | null, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const a = Math.abs(s);
  const amount = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` : a < 129_600 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86_400)} d`;
  return s >= 0 ? `in ${amount}` : `${amount} ago`;
}

export function duration(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A cron expression in words, in its own time zone; the expression itself when cronstrue cannot read it. */
export function cronWords(cron: string, timezone: string): string {
  let words: string;
  try {
    words = cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
  } catch {
    words = cron;
  }
  return timezone && timezone !== 'UTC' ? `${words} (${timezone})` : `${words} (UTC)`;
}

export function every(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'Every day' : `Every ${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'Every hour' : `Every ${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'Every minute' : `Every ${seconds / 60} minutes`;
  return seconds === 1 ? 'Every second' : `Every ${seconds} seconds`;
}

/** How a schedule or monitor recurs, in words. */
export function cadence(x: { cron: string | null; timezone: string; intervalSeconds?: number | null; periodSeconds?: number | null }): string {
  if (x.cron) return cronWords(x.cron, x.timezone);
  const s = x.intervalSeconds ?? x.periodSeconds;
  return s ? every(s) : '—';
}
