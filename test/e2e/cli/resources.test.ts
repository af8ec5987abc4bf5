import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Execution, type Job, type Monitor, type Schedule } from '../../../client/src/index.js';
import { eventually } from '../../helpers/outage.js';
import { jsonOf, rowsOf, startCliWorld, type CliWorld } from './harness.js';

/**
 * `tock schedules|jobs|monitors list|get`, `executions`, `trigger`, `pause`, `resume` against
 * a real server whose scheduler calls a receiver on loopback.
 */

let w: CliWorld;
let receiver: http.Server;
let hook: string;
let schedule: Schedule;
let monitor: Monitor;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('done'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  w = await startCliWorld({ scheduler: true, allowLoopback: true });
  schedule = await w.client.schedules.create({ key: 'nightly', name: 'nightly backup', url: hook, cron: '0 3 * * *', timezone: 'Europe/Riga' });
  await w.client.schedules.create({ key: 'often', url: hook, intervalSeconds: 86400 });
  monitor = await w.client.monitors.create({ key: 'etl', name: 'etl', periodSeconds: 3600, graceSeconds: 60 });
});
afterAll(async () => {
  await w?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('tock schedules, jobs and monitors', () => {
  it('lists schedules as an aligned table under headings', async () => {
    const r = await w.cli(['schedules', 'list']);
    expect(r.code).toBe(0);
    const [heading, first, second] = rowsOf(r.stdout);
    expect(heading).toEqual(['ID', 'KEY', 'NAME', 'TRIGGER', 'STATE', 'NEXT RUN', 'LAST STATUS']);
    expect(first).toEqual([schedule.id, 'nightly', 'nightly backup', '0 3 * * * (Europe/Riga)', 'active', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:00:00Z$/), '-']);
    expect(second.slice(1, 5)).toEqual(['often', 'often', 'every 86400s', 'active']);
    // Aligned: every column starts at the same offset on every line.
    const lines = r.stdout.trimEnd().split('\n');
    const stateAt = lines[0].indexOf('STATE');
    expect(lines.slice(1).map((l) => l.slice(stateAt, stateAt + 6))).toEqual(['active', 'active']);
  });

  it('prints lists and objects as JSON that parses, with --json', async () => {
    const list = jsonOf<Schedule[]>(await w.cli(['schedules', 'list', '--json']));
    expect(list.map((s) => s.key)).toEqual(['nightly', 'often']);
    expect(list[0].createdAt).toBe(schedule.createdAt.toISOString());
    const one = jsonOf<Schedule>(await w.cli(['schedules', 'get', schedule.id, '--json']));
    expect(one).toMatchObject({ id: schedule.id, cron: '0 3 * * *', timezone: 'Europe/Riga' });
    const monitors = jsonOf<Monitor[]>(await w.cli(['monitors', 'list', '--json']));
    expect(monitors.map((m) => [m.key, m.status, m.pingUrl])).toEqual([['etl', 'new', monitor.pingUrl]]);
  });

  it('shows one object as field/value lines', async () => {
    const r = await w.cli(['monitors', 'get', monitor.id]);
    expect(r.code).toBe(0);
    const rows = Object.fromEntries(rowsOf(r.stdout));
    expect(rows).toMatchObject({ id: monitor.id, key: 'etl', periodSeconds: '3600', status: 'new', pingUrl: monitor.pingUrl, lastPingAt: '-' });
  });

  it('limits a list with --limit and says on stderr that there is more', async () => {
    const r = await w.cli(['schedules', 'list', '--limit', '1']);
    expect(r.code).toBe(0);
    expect(rowsOf(r.stdout)).toHaveLength(2);
    expect(r.stderr).toContain('showing the first 1 schedules; --limit 0 prints all');
  });

  it('pauses and resumes a schedule', async () => {
    const paused = await w.cli(['schedules', 'pause', schedule.id]);
    expect(paused.code).toBe(0);
    expect(Object.fromEntries(rowsOf(paused.stdout))).toMatchObject({ id: schedule.id, state: 'paused', nextRunAt: '-' });
    expect((await w.client.schedules.get(schedule.id)).state).toBe('paused');
    const resumed = jsonOf<Schedule>(await w.cli(['schedules', 'resume', schedule.id, '--json']));
    expect(resumed.state).toBe('active');
    expect(resumed.nextRunAt).not.toBeNull();
  });

  it('triggers a schedule, whose job runs, and lists the execution for the schedule and for the job', async () => {
    const job = jsonOf<Job>(await w.cli(['schedules', 'trigger', schedule.id, '--json']));
    expect(job).toMatchObject({ scheduleId: schedule.id, source: 'manual' });
    await eventually('the triggered job has run', async () => (await w.client.jobs.get(job.id)).status === 'succeeded');

    const bySchedule = await w.cli(['executions', schedule.id]);
    expect(bySchedule.code).toBe(0);
    const [heading, row] = rowsOf(bySchedule.stdout);
    expect(heading).toEqual(['ID', 'JOB', 'ATTEMPT', 'STATUS', 'HTTP', 'DURATION', 'STARTED', 'ERROR']);
    expect(row.slice(1, 5)).toEqual([job.id, '1', 'succeeded', '200']);
    const byJob = jsonOf<Execution[]>(await w.cli(['executions', job.id, '--json']));
    expect(byJob.map((e) => [e.jobId, e.status, e.statusCode, e.responseBody])).toEqual([[job.id, 'succeeded', 200, 'done']]);

    const jobs = await w.cli(['jobs', 'list', '--schedule', schedule.id]);
    expect(rowsOf(jobs.stdout)[1].slice(0, 2)).toEqual([job.id, 'succeeded']);
    const got = await w.cli(['jobs', 'get', job.id]);
    expect(Object.fromEntries(rowsOf(got.stdout))).toMatchObject({ id: job.id, status: 'succeeded', attempts: '1', lastStatusCode: '200' });
  });

  it('names schedules and monitors by key as well as by id, and lists a schedule’s executions by its key', async () => {
    const paused = jsonOf<Schedule>(await w.cli(['schedules', 'pause', 'often', '--json']));
    expect(paused).toMatchObject({ key: 'often', state: 'paused' });
    expect(jsonOf<Schedule>(await w.cli(['schedules', 'resume', 'often', '--json'])).state).toBe('active');
    expect(jsonOf<Monitor>(await w.cli(['monitors', 'get', 'etl', '--json'])).id).toBe(monitor.id);
    const job = jsonOf<Job>(await w.cli(['schedules', 'trigger', 'often', '--json']));
    await eventually('the triggered job has run', async () => (await w.client.jobs.get(job.id)).status === 'succeeded');
    const byKey = jsonOf<Execution[]>(await w.cli(['executions', 'often', '--json']));
    expect(byKey.map((e) => [e.jobId, e.status])).toEqual([[job.id, 'succeeded']]);
    const missing = await w.cli(['schedules', 'get', 'no-such-key']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("tock: no schedule with id or key 'no-such-key' in the project\n");
  });

  it('acts on the project --project names', async () => {
    const other = await w.client.projects.create({ name: 'other' });
    const inOther = createClient({ url: w.url, apiKey: w.adminKey, project: other.id });
    const s = await inOther.schedules.create({ key: 'elsewhere', url: hook, intervalSeconds: 600 });
    const list = jsonOf<Schedule[]>(await w.cli(['schedules', 'list', '--json', '--project', other.id]));
    expect(list.map((x) => x.id)).toEqual([s.id]);
    expect(jsonOf<Schedule[]>(await w.cli(['schedules', 'list', '--json'])).map((x) => x.key)).toEqual(['nightly', 'often']);
  });

  it('answers an id that does not exist with the server message and exit 1', async () => {
    const r = await w.cli(['schedules', 'get', 'sched_01aaaaaaaaaaaaaaaaaaaaaaaa']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("tock: No schedule with id 'sched_01aaaaaaaaaaaaaaaaaaaaaaaa'\n");
  });
});
