import { describe, expect, it } from 'vitest';
import { progress } from '../../../server/cli/progress.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) };
}

describe('the progress line', () => {
  it('prints nothing at all when the stream is not a terminal', () => {
    const s = stream(false);
    const p = progress(s, 'sync');
    p.phase('checking 3,000 entries');
    p.update(3000, 3000);
    p.end();
    expect(s.writes).toEqual([]);
  });

  it('redraws in place on a terminal, at most once per interval, always at the end, and erases itself', () => {
    const s = stream(true);
    let now = 0;
    const p = progress(s, 'sync', { intervalMs: 100, now: () => now });
    p.phase('checking 3,000 entries');
    p.update(1, 3000); // within the interval of the phase line: skipped
    now = 150;
    p.update(1500, 3000);
    now = 160;
    p.update(1600, 3000); // too soon: skipped
    p.update(3000, 3000); // the last one always shows
    p.end();
    expect(s.writes).toEqual([
      '\r\x1b[2Ksync: checking 3,000 entries',
      '\r\x1b[2Ksync: 1,500/3,000 (50%)',
      '\r\x1b[2Ksync: 3,000/3,000 (100%)',
      '\r\x1b[2K',
    ]);
  });

  it('leaves the terminal alone at the end when it never drew', () => {
    const s = stream(true);
    progress(s, 'migrate').end();
    expect(s.writes).toEqual([]);
  });
});
