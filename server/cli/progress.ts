/** Where progress goes: stderr, in practice. Progress shows only when it is a terminal. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * One status line of long work (a sync of thousands of objects, migrations), redrawn in place
 * on a terminal and cleared at the end, so it never mixes with the result. Not on a terminal
 * (piped, in CI, under a test) it prints nothing at all.
 */
export interface Progress {
  /** What is happening now, e.g. `checking 3,000 entries`. */
  phase(text: string): void;
  /** `label: done/total (pct%)`; redrawn at most every `intervalMs`, and always at the end. */
  update(done: number, total: number): void;
  /** Clears the line. */
  end(): void;
}

export interface ProgressOptions {
  /** Minimum time between two redraws of counts. Default 100 ms. */
  intervalMs?: number;
  now?: () => number;
}

const count = (n: number) => n.toLocaleString('en-US');

export function progress(stream: ProgressStream, label: string, opts: ProgressOptions = {}): Progress {
  if (!stream.isTTY) return { phase() {}, update() {}, end() {} };
  const intervalMs = opts.intervalMs ?? 100;
  const now = opts.now ?? Date.now;
  let shown = false;
  let lastDraw = -Infinity;
  const draw = (text: string) => {
    // \r + erase-line: the line is redrawn in place and shorter text leaves nothing behind.
    stream.write(`\r\x1b[2K${text}`);
    shown = true;
    lastDraw = now();
  };
  return {
    phase: (text) => draw(`${label}: ${text}`),
    update(done, total) {
      if (done < total && now() - lastDraw < intervalMs) return;
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      draw(`${label}: ${count(done)}/${count(total)} (${pct}%)`);
    },
    end() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

export { count as formatCount };
