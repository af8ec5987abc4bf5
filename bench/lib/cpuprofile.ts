import { readFileSync } from 'node:fs';

/**
 * Self time by function from a V8 `.cpuprofile` (what `node --cpu-prof` writes): each sample is
 * charged to the node it hit, with the time delta recorded after it. Functions are grouped by
 * name + file + line; packages by the `node_modules/<package>` in their file (else "tock" for
 * the repository's own files, "node" for Node's internals, "(v8)" for the VM's own nodes).
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const m = /\/(server|client|bench|test)\/.*/.exec(url);
  return m ? m[0].slice(1) : url.replace(/^file:\/\//, '');
}

function packageOf(url: string): string {
  if (!url) return '(v8)';
  if (url.startsWith('node:')) return 'node';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return /\/(server|client)\//.test(url) ? 'tock' : 'other';
}

export function summarizeProfile(file: string, top = 10): { totalMs: number; functions: SelfTime[]; packages: SelfTime[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the time sample i stands for is the next delta.
    const us = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    const k2 = functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)' ? functionName : packageOf(url);
    pkg.set(k2, (pkg.get(k2) ?? 0) + us);
    total += us;
  }
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: total ? us / total : 0 }));
  return { totalMs: total / 1000, functions: rank(fn, top), packages: rank(pkg, 15) };
}

interface ProfileTreeNode extends ProfileNode {
  children?: number[];
}

/**
 * Inclusive (total) time by function: each sample is charged once to every distinct function on
 * its stack, so a caller's figure holds its callees' time. Names as in `summarizeProfile`.
 * `match` keeps only functions whose name it accepts (e.g. the repository's own files).
 */
export function inclusiveProfile(file: string, top = 15, match: (name: string) => boolean = () => true): SelfTime[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile & { nodes: ProfileTreeNode[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
  };
  const totals = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const us = p.timeDeltas[i + 1] ?? 0;
    total += us;
    const seen = new Set<string>();
    for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id);
      if (!n) break;
      const k = keyOf(n);
      if (seen.has(k)) continue;
      seen.add(k);
      totals.set(k, (totals.get(k) ?? 0) + us);
    }
  }
  return [...totals.entries()]
    .filter(([k]) => match(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: total ? us / total : 0 }));
}
