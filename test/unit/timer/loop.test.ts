import { describe, expect, it } from 'vitest';
import { SteppedLoop, type LoopTimers, type SteppedLoopOptions } from '../../../server/timer/loop.js';

/** Timers on a clock that moves only when the test says so. */
class ManualTimers implements LoopTimers {
  nowMs = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.nowMs;
  }

  set(fn: () => void, delayMs: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.nowMs + delayMs, fn });
    return id;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Due times of the timers set, earliest first. */
  get dueTimes(): number[] {
    return [...this.pending.values()].map((p) => p.at).sort((a, b) => a - b);
  }

  /** Moves the clock to `ms`, running every timer due by then in order. */
  async advanceTo(ms: number): Promise<void> {
    await settle();
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= ms).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.nowMs = due[1].at;
      due[1].fn();
      await settle();
    }
    this.nowMs = ms;
  }
}

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function loopWith(timers: ManualTimers, opts: Partial<SteppedLoopOptions> & Pick<SteppedLoopOptions, 'step'>) {
  const errors: Array<{ retryInMs: number }> = [];
  const loop = new SteppedLoop({
    name: 'test',
    backoff: { firstMs: 100, maxMs: 1_000 },
    onError: (_err, _name, retryInMs) => errors.push({ retryInMs }),
    timers,
    ...opts,
  });
  return { loop, errors };
}

describe('a stepped loop', () => {
  it('steps again at once while its step reports work done, then waits for a kick', async () => {
    const timers = new ManualTimers();
    let left = 3;
    let steps = 0;
    const { loop } = loopWith(timers, {
      step: async () => {
        steps++;
        if (left > 0) left--;
        return left > 0;
      },
    });
    loop.start();
    loop.kick();
    await settle();
    expect(steps).toBe(3);
    expect(loop.busy).toBe(false);
    expect(timers.dueTimes).toEqual([]);
    loop.kick();
    await settle();
    expect(steps).toBe(4);
  });

  it('steps by itself at the time nextAt names after each step', async () => {
    const timers = new ManualTimers();
    const at: number[] = [];
    const { loop } = loopWith(timers, {
      step: async () => {
        at.push(timers.now());
        return false;
      },
      nextAt: () => timers.now() + 250,
    });
    loop.start();
    await timers.advanceTo(1_000);
    expect(at).toEqual([250, 500, 750, 1_000]);
  });

  it('runs one step at a time: a kick during a step makes exactly one more step after it', async () => {
    const timers = new ManualTimers();
    const gates = [deferred(), deferred()];
    let running = 0;
    let maxRunning = 0;
    let steps = 0;
    const { loop } = loopWith(timers, {
      step: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await gates[steps++]?.promise;
        running--;
        return false;
      },
    });
    loop.start();
    loop.kick();
    loop.kick();
    loop.kick();
    expect(loop.busy).toBe(true);
    gates[0].resolve();
    await settle();
    expect(steps).toBe(2);
    gates[1].resolve();
    await settle();
    expect(steps).toBe(2);
    expect(maxRunning).toBe(1);
    expect(loop.busy).toBe(false);
  });

  it('kickAt keeps the earliest requested time', async () => {
    const timers = new ManualTimers();
    const at: number[] = [];
    const { loop } = loopWith(timers, {
      step: async () => {
        at.push(timers.now());
        return false;
      },
    });
    loop.start();
    loop.kickAt(500);
    loop.kickAt(800);
    loop.kickAt(300);
    expect(timers.dueTimes).toEqual([300]);
    await timers.advanceTo(1_000);
    expect(at).toEqual([300]);
  });

  it('backs off after a failed step, doubling up to the cap, and resets after a success', async () => {
    const timers = new ManualTimers();
    let failuresLeft = 5;
    const at: number[] = [];
    const { loop, errors } = loopWith(timers, {
      step: async () => {
        at.push(timers.now());
        if (failuresLeft-- > 0) throw new Error('database down');
        return false;
      },
    });
    loop.start();
    loop.kick();
    await timers.advanceTo(10_000);
    expect(errors.map((e) => e.retryInMs)).toEqual([100, 200, 400, 800, 1_000]);
    expect(at).toEqual([0, 100, 300, 700, 1_500, 2_500]);

    failuresLeft = 1;
    loop.kick();
    await timers.advanceTo(20_000);
    expect(errors.map((e) => e.retryInMs).slice(5)).toEqual([100]);
  });

  it('does not step during a backoff however often it is kicked', async () => {
    const timers = new ManualTimers();
    let fail = true;
    let steps = 0;
    const { loop } = loopWith(timers, {
      step: async () => {
        steps++;
        if (fail) throw new Error('down');
        return false;
      },
    });
    loop.start();
    loop.kick();
    await settle();
    expect(steps).toBe(1);
    fail = false;
    for (let i = 0; i < 5; i++) loop.kick();
    loop.kickAt(50);
    await timers.advanceTo(99);
    expect(steps).toBe(1);
    await timers.advanceTo(100);
    expect(steps).toBe(2);
  });

  it('stop waits for the step in flight and ends all stepping', async () => {
    const timers = new ManualTimers();
    const gate = deferred();
    let steps = 0;
    let finished = false;
    const { loop } = loopWith(timers, {
      step: async () => {
        steps++;
        await gate.promise;
        finished = true;
        return true;
      },
      nextAt: () => timers.now() + 10,
    });
    loop.start();
    loop.kick();
    const stopped = loop.stop();
    let stopResolved = false;
    void stopped.then(() => (stopResolved = true));
    await settle();
    expect(stopResolved).toBe(false);
    gate.resolve();
    await stopped;
    expect(finished).toBe(true);
    // The step said "more", but a stopped loop does not step again, by itself or when kicked.
    loop.kick();
    await timers.advanceTo(1_000);
    expect(steps).toBe(1);
  });

  it('stepNow runs a step and resolves after it, even when the step fails', async () => {
    const timers = new ManualTimers();
    let steps = 0;
    const { loop, errors } = loopWith(timers, {
      step: async () => {
        steps++;
        throw new Error('first step fails');
      },
    });
    loop.start();
    await loop.stepNow();
    expect(steps).toBe(1);
    expect(errors).toHaveLength(1);
    expect(timers.dueTimes).toEqual([100]);
  });
});
