import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../server/core/index.js';
import type { Actor } from '../../../server/core/types.js';
import { TargetPolicy } from '../../../server/executor/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

/**
 * A call target the executor's policy refuses whatever it resolves to (a literal address it
 * does not allow) is refused when it is stored, naming the field and how to allow it.
 */
let database: TestDatabase;
let core: Core;
let actor: Actor;
const policy = new TargetPolicy(['127.0.0.1/32']);

beforeAll(async () => {
  database = await createTestDatabase();
  core = createCore({
    db: database.db,
    publicUrl: 'http://tock.test',
    targetRefusal: (url) => {
      try {
        policy.checkUrl(url);
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  const { account } = await core.projects.createAccount({ name: 'targets' });
  const { secret } = await core.keys.createUnchecked({ accountId: account.id, name: 'targets', scopes: ['*'] });
  actor = await core.actor(await core.authenticate(secret));
});
afterAll(async () => {
  await database?.close();
});

describe('call targets the policy refuses', () => {
  it('are refused on schedule create and update with invalid_url naming TOCK_ALLOW_TARGETS; allowed ones and host names pass', async () => {
    const refused = core.schedules.create(actor, { url: 'http://10.1.2.3/hook', intervalSeconds: 60 });
    await expect(refused).rejects.toMatchObject({ code: 'invalid_url', field: 'url' });
    await expect(refused).rejects.toThrow(/10\.1\.2\.3 is a private-network address; allow it with TOCK_ALLOW_TARGETS/);

    const s = await core.schedules.create(actor, { url: 'http://127.0.0.1:9/hook', intervalSeconds: 60 });
    await expect(core.schedules.update(actor, s.id, { url: 'http://169.254.169.254/latest' })).rejects.toThrow(/cloud metadata address/);
    expect((await core.schedules.get(actor, s.id)).url).toBe('http://127.0.0.1:9/hook');
    // A host name is judged when it resolves, at connect time.
    expect((await core.schedules.create(actor, { url: 'http://internal.example/hook', intervalSeconds: 60 })).url).toBe('http://internal.example/hook');
    expect((await core.schedules.list(actor)).items).toHaveLength(2);
  });

  it('are refused on one-time job create', async () => {
    await expect(core.jobs.create(actor, { url: 'http://[::1]/x' })).rejects.toMatchObject({ code: 'invalid_url', field: 'url' });
    expect((await core.jobs.list(actor)).items).toHaveLength(0);
  });
});
