import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpExecutor, TargetPolicy, TargetRefusedError, createGuardedConnector } from '../../../server/executor/index.js';
import { type Receiver, startReceiver } from './receiver.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver((_req, res) => res.end('reached'));
  cleanups.push(() => r.close());
  return r;
}

function executor(policy: TargetPolicy): HttpExecutor {
  const ex = new HttpExecutor({ policy });
  cleanups.push(() => ex.close(1000));
  return ex;
}

describe('HttpExecutor with a policy that does not allow loopback', () => {
  it.each([
    'http://127.0.0.1:PORT/',
    'http://localhost:PORT/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://2130706433:PORT/',
    'http://0x7f000001:PORT/',
  ])('refuses %s without ever connecting to the receiver', async (template) => {
    const r = await receiver();
    const ex = executor(new TargetPolicy([]));

    const result = await ex.execute({ url: template.replace('PORT', String(r.port)), method: 'GET', headers: {} });

    expect(result).toMatchObject({ outcome: 'refused', statusCode: null, responseBody: null });
    expect(result.error).toMatch(/127\.0\.0\.1.*loopback address; allow it with TOCK_ALLOW_TARGETS$/);
    expect(r.connections).toBe(0);
  });

  it('says which host resolved to the refused address', async () => {
    const r = await receiver();
    const result = await executor(new TargetPolicy([])).execute({ url: `http://localhost:${r.port}/`, method: 'GET', headers: {} });
    expect(result.error).toBe('Target localhost resolved to 127.0.0.1, a loopback address; allow it with TOCK_ALLOW_TARGETS');
  });

  it('reaches the same receiver once the host name is allow-listed', async () => {
    const r = await receiver();
    const result = await executor(new TargetPolicy(['localhost'])).execute({ url: `http://localhost:${r.port}/`, method: 'GET', headers: {} });
    expect(result).toMatchObject({ outcome: 'succeeded', responseBody: 'reached' });
    expect(r.connections).toBe(1);
  });

  it('reaches the receiver by address once its CIDR is allow-listed', async () => {
    const r = await receiver();
    const result = await executor(new TargetPolicy(['127.0.0.0/8'])).execute({ url: r.url, method: 'GET', headers: {} });
    expect(result.outcome).toBe('succeeded');
  });
});

describe('HttpExecutor and IPv6 forms that carry a loopback address', () => {
  it.each(['http://[::127.0.0.1]:PORT/', 'http://[::ffff:0:127.0.0.1]:PORT/', 'http://[64:ff9b::127.0.0.1]:PORT/', 'http://[2002:7f00:1::1]:PORT/'])(
    'refuses %s as loopback, never as a public address it could try to reach',
    async (template) => {
      const r = await receiver();
      const result = await executor(new TargetPolicy([])).execute({ url: template.replace('PORT', String(r.port)), method: 'GET', headers: {} });
      expect(result).toMatchObject({ outcome: 'refused', statusCode: null });
      expect(result.error).toMatch(/\(which carries 127\.0\.0\.1\) is a loopback address; allow it with TOCK_ALLOW_TARGETS$/);
      expect(r.connections).toBe(0);
    },
  );

  it('refuses the same form at the connector when it is not checked up front', async () => {
    const r = await receiver();
    const agent = new Agent({ connect: createGuardedConnector(new TargetPolicy([])) });
    cleanups.push(() => agent.close());
    const attempt = agent.request({ origin: `http://[::127.0.0.1]:${r.port}`, path: '/', method: 'GET' });
    await expect(attempt).rejects.toMatchObject({ code: 'target_refused', message: expect.stringMatching(/carries 127\.0\.0\.1/) });
    expect(r.connections).toBe(0);
  });
});

describe('guarded connector used directly', () => {
  // Exercises the connector without the executor's up-front checkUrl, proving it stands on its own.
  it.each(['127.0.0.1', 'localhost'])('fails the connection to %s before a socket is opened', async (host) => {
    const r = await receiver();
    const agent = new Agent({ connect: createGuardedConnector(new TargetPolicy([])) });
    cleanups.push(() => agent.close());

    const attempt = agent.request({ origin: `http://${host}:${r.port}`, path: '/', method: 'GET' });

    await expect(attempt).rejects.toBeInstanceOf(TargetRefusedError);
    await expect(attempt).rejects.toMatchObject({ code: 'target_refused' });
    expect(r.connections).toBe(0);
  });
});
