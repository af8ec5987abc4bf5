/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (format 0.0.4), comments and blank lines skipped. */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const v = m[3];
    out.push({ name: m[1], labels, value: v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  }
  return out;
}

/** Samples of metric `name` whose labels include every one of `labels`. */
export function samples(all: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/**
 * The value of the one sample of `name` whose labels are exactly `labels` (ignoring `ignore`,
 * e.g. the timer's `node`); throws when there is none or several.
 */
export function value(all: Sample[], name: string, labels: Record<string, string> = {}, ignore: string[] = ['node']): number {
  const want = Object.entries(labels);
  const hits = all.filter((s) => {
    if (s.name !== name) return false;
    const keys = Object.keys(s.labels).filter((k) => !ignore.includes(k));
    return keys.length === want.length && want.every(([k, v]) => s.labels[k] === v);
  });
  if (hits.length !== 1) {
    const near = all.filter((s) => s.name === name).map((s) => JSON.stringify(s.labels)).join('\n  ');
    throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${hits.length}; series of ${name}:\n  ${near}`);
  }
  return hits[0].value;
}
