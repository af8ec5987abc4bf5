import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { syncInput, syncJsonSchema } from '../../../server/core/index.js';

const committedPath = new URL('../../../docs/tock-sync.schema.json', import.meta.url);

describe('the JSON Schema of sync files', () => {
  it('is committed exactly as generated from the sync input schema (regenerate with `npx vitest run test/unit/core/sync-schema.test.ts -u`)', async () => {
    await expect(`${JSON.stringify(syncJsonSchema(), null, 2)}\n`).toMatchFileSnapshot('../../../docs/tock-sync.schema.json');
  });

  // The committed file, read as an editor reads it, agrees with the core on whole files.
  const validator = () => new Ajv2020({ strict: true, validateFormats: false }).compile(JSON.parse(readFileSync(committedPath, 'utf8')));
  const example = {
    $schema: './tock-sync.schema.json',
    schedules: [
      { key: 'daily-backup', name: 'Daily backup', url: 'https://myapp.com/api/backup', cron: '0 6 * * *', timezone: 'Europe/Riga' },
      { key: 'hourly-sync', url: 'https://myapp.com/api/sync', intervalSeconds: 3600, method: 'GET', headers: { Authorization: 'Bearer t' }, maxRetries: 3 },
    ],
    monitors: [{ key: 'nightly-etl', periodSeconds: 86400, graceSeconds: 600, alertEmail: 'ops@myapp.com' }],
    jobs: [{ idempotencyKey: 'migrate-2026-06', url: 'https://myapp.com/migrate', scheduledAt: '2026-06-01T12:00:00Z' }],
  };

  it.each([
    ['a complete file', example, true],
    ['a schedule without its key', { schedules: [{ url: 'https://a.example', cron: '* * * * *' }] }, false],
    ['a one-time job without its idempotency key', { jobs: [{ url: 'https://a.example' }] }, false],
    ['a field no kind has', { schedules: [{ key: 'a', url: 'https://a.example', cron: '* * * * *', colour: 'red' }] }, false],
    ['project settings (not supported yet)', { notifications: { email: 'ops@myapp.com' } }, false],
    ['a retry count over the limit', { schedules: [{ key: 'a', url: 'https://a.example', cron: '* * * * *', maxRetries: 99 }] }, false],
  ])('accepts or refuses %s as the core does', (_, file, valid) => {
    expect(validator()(file)).toBe(valid);
    expect(syncInput.safeParse(file).success).toBe(valid);
  });
});
