import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { TargetPolicy, TargetRefusedError, createGuardedLookup } from '../../../server/executor/index.js';

type LookupResult = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[] };

function lookup(policy: TargetPolicy, host: string, all: boolean): Promise<LookupResult> {
  return new Promise((resolve) => {
    createGuardedLookup(policy)(host, { all }, (err, address) => resolve({ err, address }));
  });
}

describe('createGuardedLookup', () => {
  it.each([true, false])('fails a lookup whose answer is refused by the policy (all: %s)', async (all) => {
    const { err } = await lookup(new TargetPolicy([]), 'localhost', all);
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect(err?.message).toMatch(/^Target localhost resolved to (127\.0\.0\.1|::1), a loopback address/);
  });

  it.each([true, false])('passes the answer through when the policy allows it (all: %s)', async (all) => {
    const { err, address } = await lookup(new TargetPolicy(['localhost']), 'localhost', all);
    expect(err).toBeNull();
    const first = Array.isArray(address) ? address[0].address : address;
    expect(['127.0.0.1', '::1']).toContain(first);
  });

  it('passes DNS errors through unchanged', async () => {
    const { err } = await lookup(new TargetPolicy([]), 'does-not-exist.invalid', true);
    expect(err).not.toBeInstanceOf(TargetRefusedError);
    expect(err?.code).toMatch(/^E[A-Z_]+$/);
  });
});
