/**
 * Krafter's interval presets: `every_<n>s`, `every_<n>m`, `every_<n>h`, `every_<n>d`, a schedule
 * of `schedule_type: "interval"`. Tock stores the interval in seconds (no spelling kept), so a
 * preset read back is derived: the largest unit that divides the seconds exactly (300 ->
 * `every_5m`, 90 -> `every_90s`, 3600 -> `every_1h`, 86400 -> `every_1d`). A preset written in a
 * smaller unit than that (`every_60m`) reads back in the larger one (`every_1h`).
 * Whether the interval is in range is the core's rule (it names `interval_seconds`; the
 * dialect's error mapper says `schedule`).
 */

const UNITS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;
type Unit = keyof typeof UNITS;

/** The form, for messages. */
export const PRESET_FORM = 'every_<n>s, every_<n>m, every_<n>h or every_<n>d with n a whole number from 1 (e.g. every_5m)';

const PRESET = /^every_([1-9][0-9]*)([smhd])$/;

/** Whether `s` has the preset form. */
export function isPreset(s: string): boolean {
  return PRESET.test(s);
}

/** The interval in seconds of a preset; null when `s` is not one. */
export function presetSeconds(s: string): number | null {
  const m = PRESET.exec(s);
  return m ? Number(m[1]) * UNITS[m[2] as Unit] : null;
}

/** The canonical preset of an interval in seconds (see above). */
export function presetOf(seconds: number): string {
  for (const unit of Object.keys(UNITS) as Unit[]) {
    if (seconds % UNITS[unit] === 0) return `every_${seconds / UNITS[unit]}${unit}`;
  }
  return `every_${seconds}s`;
}
