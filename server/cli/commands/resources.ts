import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Execution, Job, Monitor, Schedule, TockClient } from '../../../client/src/index.js';
import { connect, projectOptions, type ConnectionFlags } from '../connection.js';
import { CommandFailed, UsageError } from '../errors.js';
import { cut, fields, table, time, type Column, type Output } from '../output.js';

/**
 * `tock schedules|jobs|monitors list|get`, `tock executions <id>`, and the operations on one
 * schedule or monitor (trigger, pause, resume). Tables for people, `--json` for scripts.
 */

interface ListFlags extends ConnectionFlags {
  json?: boolean;
  limit: number;
}
interface OneFlags extends ConnectionFlags {
  json?: boolean;
}

/** The most items a list prints unless `--limit` says otherwise. */
const DEFAULT_LIMIT = 100;
/** The server's largest page. */
const MAX_PAGE = 200;

function limitOf(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number (0 = all)');
  return n;
}

const listOptions = (cmd: Command) =>
  projectOptions(cmd)
    .option('--json', 'print JSON (an array) instead of a table')
    .addOption(new Option('--limit <n>', 'print at most n items (0 = all)').default(DEFAULT_LIMIT).argParser(limitOf));
const oneOptions = (cmd: Command) => projectOptions(cmd).option('--json', 'print JSON instead of a table');

/** Up to `limit` items (0 = all), and whether the list goes on. */
async function collect<T>(items: (pageSize: number) => AsyncIterableIterator<T>, limit: number): Promise<{ items: T[]; more: boolean }> {
  const out: T[] = [];
  const pageSize = limit === 0 ? MAX_PAGE : Math.min(MAX_PAGE, limit + 1);
  for await (const item of items(pageSize)) {
    if (limit !== 0 && out.length === limit) return { items: out, more: true };
    out.push(item);
  }
  return { items: out, more: false };
}

function printList<T>(out: Output, flags: ListFlags, list: { items: T[]; more: boolean }, columns: Column<T>[], noun: string): void {
  if (flags.json) out.json(list.items);
  else if (list.items.length === 0) out.say(`no ${noun}`);
  else out.result(table(list.items, columns));
  if (list.more) out.say(`showing the first ${list.items.length} ${noun}; --limit 0 prints all`);
}

function printOne(out: Output, flags: OneFlags, object: object): void {
  if (flags.json) out.json(object);
  else out.result(fields(object));
}

const trigger = (s: Schedule) => (s.cron ? `${s.cron} (${s.timezone})` : `every ${s.intervalSeconds}s`);
const expects = (m: Monitor) => `${m.cron ? `${m.cron} (${m.timezone})` : `every ${m.periodSeconds}s`} +${m.graceSeconds}s`;

export const SCHEDULE_COLUMNS: Column<Schedule>[] = [
  { heading: 'id', cell: (s) => s.id },
  { heading: 'key', cell: (s) => s.key ?? '-' },
  { heading: 'name', cell: (s) => s.name },
  { heading: 'trigger', cell: trigger },
  { heading: 'state', cell: (s) => s.state },
  { heading: 'next run', cell: (s) => time(s.nextRunAt) },
  { heading: 'last status', cell: (s) => s.lastStatus ?? '-' },
];
export const JOB_COLUMNS: Column<Job>[] = [
  { heading: 'id', cell: (j) => j.id },
  { heading: 'status', cell: (j) => j.status },
  { heading: 'scheduled at', cell: (j) => time(j.scheduledAt) },
  { heading: 'attempts', cell: (j) => String(j.attempts) },
  { heading: 'source', cell: (j) => j.source },
  { heading: 'schedule', cell: (j) => j.scheduleId ?? '-' },
  { heading: 'call', cell: (j) => cut(`${j.method} ${j.url}`, 80) },
];
export const MONITOR_COLUMNS: Column<Monitor>[] = [
  { heading: 'id', cell: (m) => m.id },
  { heading: 'key', cell: (m) => m.key ?? '-' },
  { heading: 'name', cell: (m) => m.name },
  { heading: 'expects', cell: expects },
  { heading: 'status', cell: (m) => m.status },
  { heading: 'last ping', cell: (m) => time(m.lastPingAt) },
  { heading: 'deadline', cell: (m) => time(m.nextDeadlineAt) },
];
export const EXECUTION_COLUMNS: Column<Execution>[] = [
  { heading: 'id', cell: (e) => e.id },
  { heading: 'job', cell: (e) => e.jobId },
  { heading: 'attempt', cell: (e) => String(e.attempt) },
  { heading: 'status', cell: (e) => e.status },
  { heading: 'http', cell: (e) => (e.statusCode === null ? '-' : String(e.statusCode)) },
  { heading: 'duration', cell: (e) => `${e.durationMs}ms` },
  { heading: 'started', cell: (e) => time(e.startedAt) },
  { heading: 'error', cell: (e) => cut(e.error ?? '-', 60) },
];

type Act = (client: TockClient, id: string) => Promise<object>;
type Resolve = (client: TockClient, idOrKey: string) => Promise<string>;

/**
 * The id of the schedule or monitor `idOrKey` names: an id as it is, else the one whose `key` it
 * is (a key cannot contain `_`, so it never looks like an id). Keys are found by listing, as the
 * API has no lookup by key; fine for the objects of one project at a terminal.
 */
function byKey<T extends { id: string; key: string | null }>(
  noun: string,
  prefix: string,
  items: (client: TockClient) => AsyncIterableIterator<T>,
): Resolve {
  return async (client, idOrKey) => {
    if (idOrKey.startsWith(`${prefix}_`)) return idOrKey;
    for await (const item of items(client)) if (item.key === idOrKey) return item.id;
    throw new CommandFailed(`no ${noun} with id or key '${cut(idOrKey, 80)}' in the project`);
  };
}

const scheduleId = byKey('schedule', 'sched', (c) => c.schedules.iterate({ pageSize: MAX_PAGE }));
const monitorId = byKey('monitor', 'mon', (c) => c.monitors.iterate({ pageSize: MAX_PAGE }));
const asIs: Resolve = async (_client, id) => id;

/** `<noun> <verb> <id>`: one call on one object (named by id, or by key where `resolve` looks keys up), printed like `get`. */
function oneCommand(group: Command, out: Output, verb: string, summary: string, act: Act, resolve: Resolve = asIs): void {
  const arg = resolve === asIs ? '<id>' : '<id-or-key>';
  oneOptions(group.command(`${verb} ${arg}`).description(summary)).action(async (id: string, flags: OneFlags) => {
    const client = connect(flags);
    printOne(out, flags, await act(client, await resolve(client, id)));
  });
}

export function resourceCommands(program: Command, out: Output): void {
  const schedules = program.command('schedules').description('recurring HTTP calls');
  listOptions(schedules.command('list').description('list the schedules of the project, oldest first'))
    .addOption(new Option('--state <state>', 'only active or only paused schedules').choices(['active', 'paused']))
    .action(async (flags: ListFlags & { state?: 'active' | 'paused' }) => {
      const client = connect(flags);
      printList(out, flags, await collect((pageSize) => client.schedules.iterate({ state: flags.state, pageSize }), flags.limit), SCHEDULE_COLUMNS, 'schedules');
    });
  oneCommand(schedules, out, 'get', 'show one schedule (by id or key)', (c, id) => c.schedules.get(id), scheduleId);
  oneCommand(schedules, out, 'trigger', "run the schedule's call now, as a job of its own (prints the job)", (c, id) => c.schedules.trigger(id), scheduleId);
  oneCommand(schedules, out, 'pause', 'stop the schedule from firing (idempotent)', (c, id) => c.schedules.pause(id), scheduleId);
  oneCommand(schedules, out, 'resume', 'fire again from now on (missed ticks are not caught up)', (c, id) => c.schedules.resume(id), scheduleId);

  const jobs = program.command('jobs').description('one-time calls, and the runs of schedules');
  listOptions(jobs.command('list').description('list the jobs of the project, newest first'))
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(['scheduled', 'running', 'succeeded', 'failed', 'cancelled']))
    .option('--schedule <id>', "only this schedule's jobs")
    .action(async (flags: ListFlags & { status?: Job['status']; schedule?: string }) => {
      const client = connect(flags);
      const list = await collect((pageSize) => client.jobs.iterate({ status: flags.status, scheduleId: flags.schedule, pageSize }), flags.limit);
      printList(out, flags, list, JOB_COLUMNS, 'jobs');
    });
  oneCommand(jobs, out, 'get', 'show one job', (c, id) => c.jobs.get(id));

  const monitors = program.command('monitors').description('heartbeat checks');
  listOptions(monitors.command('list').description('list the monitors of the project, oldest first')).action(async (flags: ListFlags) => {
    const client = connect(flags);
    printList(out, flags, await collect((pageSize) => client.monitors.iterate({ pageSize }), flags.limit), MONITOR_COLUMNS, 'monitors');
  });
  oneCommand(monitors, out, 'get', 'show one monitor (with its ping URL; by id or key)', (c, id) => c.monitors.get(id), monitorId);
  oneCommand(monitors, out, 'pause', 'ignore deadlines until resumed', (c, id) => c.monitors.pause(id), monitorId);
  oneCommand(monitors, out, 'resume', 'watch again, from the next ping', (c, id) => c.monitors.resume(id), monitorId);

  listOptions(
    program
      .command('executions <id-or-key>')
      .description("the HTTP attempts of a job (job_...) or of every job of a schedule (sched_... or the schedule's key), newest first"),
  ).action(async (id: string, flags: ListFlags) => {
    const client = connect(flags);
    let items: (pageSize: number) => AsyncIterableIterator<Execution>;
    if (id.startsWith('job_')) items = (pageSize) => client.jobs.iterateExecutions(id, { pageSize });
    else if (id.startsWith('sched_') || !id.includes('_')) {
      const schedule = await scheduleId(client, id);
      items = (pageSize) => client.schedules.iterateExecutions(schedule, { pageSize });
    } else throw new UsageError(`executions: expected a job id (job_...), a schedule id (sched_...) or a schedule's key, got '${cut(id, 80)}'`);
    printList(out, flags, await collect(items, flags.limit), EXECUTION_COLUMNS, 'executions');
  });
}
