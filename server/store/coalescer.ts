/**
 * Groups concurrent calls into batches, so many requests cost one statement: `submit(item)`
 * joins the batch being formed. A batch goes out as soon as fewer than `maxInFlight` are out,
 * so a lone call is sent at once and never waits for company; while batches are out, the calls
 * that arrive meanwhile form the next one (up to `maxBatch` items and `maxWeight` of `weight`,
 * e.g. bytes; a lone heavier item still goes, alone). Under load the batch size follows the
 * arrival rate times the statement's round trip, with no timer involved.
 *
 * `run` answers one outcome per item, in order; if it throws, every item of its batch fails
 * with that error.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

interface Waiting<In, Out> {
  item: In;
  weight: number;
  resolve: (value: Out) => void;
  reject: (error: unknown) => void;
}

export class Coalescer<In, Out> {
  private queue: Waiting<In, Out>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: In[]) => Promise<Outcome<Out>[]>,
    private readonly opts: { maxBatch: number; maxInFlight: number; maxWeight?: number; weight?: (item: In) => number },
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, weight: this.opts.weight?.(item) ?? 0, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.take());
      this.inFlight++;
      this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** How many queued items the next batch takes: at least one, within both limits. */
  private take(): number {
    const maxWeight = this.opts.maxWeight ?? Infinity;
    let n = 0;
    let weight = 0;
    while (n < this.queue.length && n < this.opts.maxBatch) {
      weight += this.queue[n].weight;
      if (n > 0 && weight > maxWeight) break;
      n++;
    }
    return n;
  }

  private async send(batch: Waiting<In, Out>[]): Promise<void> {
    let outcomes: Outcome<Out>[];
    try {
      outcomes = await this.run(batch.map((w) => w.item));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i];
      if (!o) w.reject(new Error('coalescer: no outcome for an item'));
      else if (o.ok) w.resolve(o.value);
      else w.reject(o.error);
    });
  }
}
