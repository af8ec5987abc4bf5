import { z } from 'zod';
import { FlipEntity, MonitorEntity, PingEntity, type MonitorRow } from '../../store/entities.js';
import { findPage } from '../../store/pages.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../store/errors.js';
import { Coalescer } from '../../store/coalescer.js';
import { monitorById, monitorByKey, monitorsByTokens } from '../../store/monitor-reads.js';
import { BoundedCache } from '../bounded-cache.js';
import { ALERT_SETTING_DEFAULTS, alertSettingFields, checkWebhookUrl, settlePolicy } from '../alerts/settings.js';
import { isPingKeyForm, isPingTokenForm, newPingToken } from '../auth/secrets.js';
import { requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import { AlreadyExistsError, InvalidArgumentError, MonitorLimitError, NotFoundError, UnavailableError } from '../errors.js';
import { isId, newId } from '../ids.js';
import { checkCron, checkInterval, checkTimezone } from '../schedules/timing.js';
import { shardOf } from '../shard.js';
import type { Actor, Monitor, Page, PageRequest, Ping, PingKind, Updatable } from '../types.js';
import type { TargetAllowList } from '../targets.js';
import { cronText, email, name, parse, targetUrl, timezoneText, userKey } from '../validation.js';
import { pingFacts, type PingMeta } from './pings.js';
import { transition } from './state.js';
import { MonitorTransitions } from './transitions.js';

export { PING_KINDS, pingSignal, type PingMeta } from './pings.js';
export { deadlineAfter } from './state.js';

/** The longest grace a monitor takes. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

const fields = {
  key: userKey.nullish(),
  name: name.optional(),
  periodSeconds: z.number().nullish(),
  cron: cronText.nullish(),
  timezone: timezoneText.nullish(),
  graceSeconds: z.number().int('must be an integer').min(0, 'must be 0 or more').max(MAX_GRACE_SECONDS, `must be at most ${MAX_GRACE_SECONDS} (30 days)`).optional(),
  alertEmail: email.nullish(),
  alertWebhook: targetUrl.nullish(),
  ...alertSettingFields,
};
export const monitorInput = z.object(fields).strict();
export const monitorPatch = z.object(fields).strict();
export type MonitorInput = z.input<typeof monitorInput>;
export type MonitorPatch = z.input<typeof monitorPatch>;

export const DEFAULT_GRACE_SECONDS = 60;
/**
 * A monitor made by its first ping (`pingByKey` with `create`) expects a ping a day, with an
 * hour of grace: the common nightly job. Its owner can narrow both afterwards.
 */
export const AUTO_CREATED_MONITOR = { periodSeconds: 86_400, graceSeconds: 3_600 } as const;

/** Every field `update` takes and its cleared value (see SCHEDULE_UPDATABLE); a cleared `timezone` is UTC. */
export const MONITOR_UPDATABLE: Updatable<MonitorPatch> = {
  key: null,
  name: '',
  periodSeconds: null,
  cron: null,
  timezone: null,
  graceSeconds: DEFAULT_GRACE_SECONDS,
  alertEmail: null,
  alertWebhook: null,
  alertPolicy: ALERT_SETTING_DEFAULTS.alertPolicy,
  alertAfterFailures: null,
  alertReminderSeconds: null,
  alertWebhookFormat: ALERT_SETTING_DEFAULTS.alertWebhookFormat,
};

/** Fields that move the deadline when they change. */
const TIMING_FIELDS = ['periodSeconds', 'cron', 'timezone', 'graceSeconds', 'alertPolicy', 'alertAfterFailures'] as const;

function checkMonitor(m: Monitor, allow: TargetAllowList): void {
  m.timezone = checkTimezone(m.timezone);
  if (m.cron && m.periodSeconds !== null) throw new InvalidArgumentError('Set either cron or period_seconds, not both', 'cron');
  if (!m.cron && m.periodSeconds === null) throw new InvalidArgumentError('Set period_seconds or cron', 'period_seconds');
  if (m.cron) m.cron = checkCron(m.cron, m.timezone);
  else checkInterval(m.periodSeconds!, 'period_seconds');
  m.alertWebhook = checkWebhookUrl(m.alertWebhook, 'alert_webhook', allow);
}

/** Rows kept for the ping path's next ping of a token (see MonitorService.written): ~1 KiB each. */
const WRITTEN_MONITORS_KEPT = 20_000;

export class MonitorService {
  private readonly transitions: MonitorTransitions;
  /**
   * Token lookups of the ping path, grouped like the writes (see MonitorTransitions): the pings
   * that arrive while a lookup is out share the next one. Every lookup reads the row as stored
   * now; nothing is cached.
   */
  private readonly tokenReads: Coalescer<string, MonitorRow | null>;
  /**
   * The row the last ping by each recent token wrote, as it stands after that write. The next
   * ping of that token plans from it without a read: its write is conditional on the revision,
   * and every change of a monitor (update, pause, another ping, a deadline decision, on any
   * node) moves the revision, so a row that is no longer current loses that write, changes
   * nothing, and the ping reads the row again. A deleted monitor loses it too (no row).
   */
  private readonly written = new BoundedCache<string, MonitorRow>(
    WRITTEN_MONITORS_KEPT,
    WRITTEN_MONITORS_KEPT * 2048,
    (token, m) => 1024 + 2 * (token.length + m.name.length + (m.key?.length ?? 0) + (m.cron?.length ?? 0) + (m.alertEmail?.length ?? 0) + (m.alertWebhook?.length ?? 0)),
  );

  constructor(private readonly deps: CoreDeps) {
    this.transitions = new MonitorTransitions(deps);
    this.tokenReads = new Coalescer(
      async (tokens) => {
        const rows = await monitorsByTokens(deps.db, [...new Set(tokens)]);
        const byToken = new Map(rows.map((r) => [r.pingToken, r]));
        // Each caller gets its own copy: two pings of one monitor plan from the same read.
        return tokens.map((t) => {
          const r = byToken.get(t);
          return { ok: true as const, value: r ? { ...r } : null };
        });
      },
      { maxBatch: 200, maxInFlight: 3 },
    );
  }

  /**
   * The full URL that pings `m`: Tock's own `/ping/<token>`, or the same token under the ping
   * path a REST dialect documents (`path`, e.g. `/api/v1/ping`). The bare token never leaves the
   * core any other way.
   */
  pingUrl(m: Pick<Monitor, 'pingToken'>, path = '/ping'): string {
    return `${this.deps.publicUrl}${path}/${m.pingToken}`;
  }

  /** Monitors an account may have over all its projects (TOCK_MONITOR_LIMIT); null = no limit. */
  get limit(): number | null {
    return this.deps.monitorLimit > 0 ? this.deps.monitorLimit : null;
  }

  /**
   * The monitor `create` makes of `input` (defaults applied, every field checked and
   * normalised), without storing it. Declarative sync compares stored monitors with this.
   */
  build(actor: Actor, input: MonitorInput): MonitorRow {
    return this.row(actor.projectId, parse(monitorInput, input));
  }

  async create(actor: Actor, input: MonitorInput): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    return this.insert(this.build(actor, input));
  }

  private row(projectId: string, p: z.output<typeof monitorInput>): MonitorRow {
    const now = this.deps.clock.now();
    const id = newId('monitor');
    const m: MonitorRow = {
      id,
      projectId,
      shard: shardOf(id),
      scheduleId: null,
      key: p.key ?? null,
      name: p.name ?? p.key ?? 'monitor',
      periodSeconds: p.periodSeconds ?? null,
      cron: p.cron ?? null,
      timezone: p.timezone ?? 'UTC',
      graceSeconds: p.graceSeconds ?? DEFAULT_GRACE_SECONDS,
      status: 'new',
      pingToken: newPingToken(),
      lastPingAt: null,
      lastStartAt: null,
      pingCount: 0,
      nextDeadlineAt: null,
      lastAlertAt: null,
      failureStreak: 0,
      statusChangedAt: null,
      alertEmail: p.alertEmail ?? null,
      alertWebhook: p.alertWebhook ?? null,
      alertWebhookFormat: p.alertWebhookFormat ?? ALERT_SETTING_DEFAULTS.alertWebhookFormat,
      alertPolicy: p.alertPolicy ?? ALERT_SETTING_DEFAULTS.alertPolicy,
      alertAfterFailures: p.alertAfterFailures ?? null,
      alertReminderSeconds: p.alertReminderSeconds ?? null,
      revision: 0,
      createdAt: now,
      updatedAt: now,
    };
    checkMonitor(m, this.deps.allowTargets);
    settlePolicy(m, {});
    return m;
  }

  private async insert(m: MonitorRow): Promise<MonitorRow> {
    try {
      if (this.deps.monitorLimit > 0) await this.insertWithinLimit(m, this.deps.monitorLimit);
      else await this.deps.db.em().insert(MonitorEntity, m);
    } catch (err) {
      if (isUniqueViolation(err, 'monitors_project_key_uq')) throw new AlreadyExistsError('monitor', 'key', m.key!);
      // The project was deleted since the request resolved it (another node's cache may lag by its TTL).
      if (isForeignKeyViolation(err, 'monitors_project_id_fkey')) throw new NotFoundError('project', m.projectId);
      throw err;
    }
    return m;
  }

  /**
   * Counts the account's monitors and inserts under a lock on the account row: creates of one
   * account queue on it, and each count (a new snapshot once the lock is held) sees every insert
   * committed before, so the limit holds under concurrency. A plain count-then-insert would let
   * two creates both see room for one.
   */
  private async insertWithinLimit(m: MonitorRow, limit: number): Promise<void> {
    await this.deps.db.em().transactional(async (em) => {
      const [owner] = (await em.execute(
        'select a.id from accounts a join projects p on p.account_id = a.id where p.id = ? for update of a',
        [m.projectId],
      )) as Array<{ id: string }>;
      if (!owner) throw new NotFoundError('project', m.projectId);
      const [{ n }] = (await em.execute(
        'select count(*)::int as n from monitors m join projects p on p.id = m.project_id where p.account_id = ?',
        [owner.id],
      )) as Array<{ n: number }>;
      if (Number(n) >= limit) throw new MonitorLimitError(limit);
      await em.insert(MonitorEntity, m);
    });
  }

  async get(actor: Actor, id: string): Promise<Monitor> {
    requireScope(actor.scopes, 'read:monitors');
    return this.load(actor, id);
  }

  /** Oldest first, or newest first with `newestFirst` (pages then run backwards in time). */
  async list(actor: Actor, page: PageRequest = {}, opts: { newestFirst?: boolean } = {}): Promise<Page<Monitor>> {
    requireScope(actor.scopes, 'read:monitors');
    return findPage(this.deps.db.em(), MonitorEntity, { projectId: actor.projectId }, page, opts.newestFirst ? 'desc' : 'asc');
  }

  /**
   * Applies a patch. A change of period, cron, zone, grace or policy moves the deadline in the
   * same conditional update (on the revision read); a ping or deadline decision in between makes
   * it read again and re-apply the patch.
   */
  async update(actor: Actor, id: string, patch: MonitorPatch): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    return this.reconfigure(actor, id, patch);
  }

  /**
   * `update` without its scope check, for the core's own callers that checked theirs: a
   * schedule's heartbeat changes with its schedule (`write:jobs`, see schedules/heartbeat.ts).
   */
  async reconfigure(actor: Actor, id: string, patch: MonitorPatch): Promise<Monitor> {
    const p = parse(monitorPatch, patch);
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.load(actor, id);
      const next: MonitorRow = { ...current };
      for (const [k, v] of Object.entries(p)) {
        if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
      }
      if (p.cron && p.periodSeconds === undefined) next.periodSeconds = null;
      if (p.periodSeconds != null && p.cron === undefined) next.cron = null;
      if (p.timezone === null) next.timezone = 'UTC';
      if (p.alertWebhookFormat === undefined) next.alertWebhookFormat = current.alertWebhookFormat;
      checkMonitor(next, this.deps.allowTargets);
      settlePolicy(next, p);
      const now = this.deps.clock.now();
      if (TIMING_FIELDS.some((f) => next[f] !== current[f])) {
        next.nextDeadlineAt = transition(next, next, { type: 'reconfigure', at: now }).state.nextDeadlineAt;
      }
      next.updatedAt = now;
      next.revision = Number(current.revision) + 1;
      const { id: _i, projectId: _p, shard: _s, scheduleId: _l, createdAt: _c, pingToken: _t, pingCount: _n, ...changes } = next;
      let changed: number;
      try {
        changed = await this.deps.db.em().nativeUpdate(MonitorEntity, { id, projectId: actor.projectId, revision: current.revision }, changes);
      } catch (err) {
        if (isUniqueViolation(err, 'monitors_project_key_uq')) throw new AlreadyExistsError('monitor', 'key', next.key!);
        throw err;
      }
      if (changed === 0) continue;
      this.transitions.wake(next);
      return next;
    }
    throw new UnavailableError('The monitor is changing too fast to update; retry shortly');
  }

  async delete(actor: Actor, id: string): Promise<void> {
    requireScope(actor.scopes, 'write:monitors');
    await this.load(actor, id);
    await this.deps.db.em().transactional(async (em) => {
      await em.nativeDelete(FlipEntity, { subjectId: id, projectId: actor.projectId });
      await em.nativeDelete(MonitorEntity, { id, projectId: actor.projectId });
    });
  }

  /** Paused monitors ignore deadlines and pings change nothing; resuming waits for the next ping ("new"). */
  async pause(actor: Actor, id: string): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    return (await this.transitions.apply(() => this.load(actor, id), () => ({ event: { type: 'pause', at: this.deps.clock.now() } }))).monitor;
  }

  async resume(actor: Actor, id: string): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    return (await this.transitions.apply(() => this.load(actor, id), () => ({ event: { type: 'resume', at: this.deps.clock.now() } }))).monitor;
  }

  /** A ping through the API, by monitor id. */
  async recordPing(actor: Actor, id: string, kind: PingKind = 'success', meta: PingMeta = {}): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    const facts = pingFacts(kind, meta);
    return this.applyPing(() => this.load(actor, id), facts);
  }

  /** A ping through the public ping URL: the token is the only credential. */
  async pingByToken(token: string, kind: PingKind = 'success', meta: PingMeta = {}): Promise<Monitor> {
    const facts = pingFacts(kind, meta);
    // The first attempt may plan from the row the last ping wrote; a lost race reads it again.
    let last = this.written.get(token);
    const read = async () => {
      if (last) {
        const m = { ...last };
        last = undefined;
        return m;
      }
      const m = isPingTokenForm(token) ? await this.tokenReads.submit(token) : null;
      if (!m) {
        this.written.delete(token);
        throw new NotFoundError('monitor', token.slice(0, 8) + '…');
      }
      return m;
    };
    const monitor = await this.applyPing(read, facts);
    this.written.set(token, { ...monitor });
    return monitor;
  }

  /**
   * A ping by the project's ping key and the monitor's own key (`/ping/<ping key>/<monitor key>`).
   * With `create`, a monitor the project does not have yet is made by this ping
   * (AUTO_CREATED_MONITOR timing, named after its key), so a fleet of cron jobs needs no API
   * call to be watched.
   */
  async pingByKey(pingKey: string, monitorKey: string, kind: PingKind = 'success', meta: PingMeta = {}, opts: { create?: boolean } = {}): Promise<Monitor> {
    const facts = pingFacts(kind, meta);
    const [project] = isPingKeyForm(pingKey) ? await this.deps.db.query<{ id: string }>('select id from projects where ping_key = $1', [pingKey], 'tock_project_by_ping_key') : [];
    if (!project) throw new NotFoundError('monitor', `${pingKey.slice(0, 6)}…/${monitorKey.slice(0, 40)}`);
    const find = () => monitorByKey(this.deps.db, project.id, monitorKey);
    let existing = userKey.safeParse(monitorKey).success ? await find() : null;
    if (!existing) {
      if (!opts.create) throw new NotFoundError('monitor', monitorKey.slice(0, 40));
      const { key } = parse(z.object({ key: userKey }), { key: monitorKey });
      try {
        existing = await this.insert(this.row(project.id, { key, ...AUTO_CREATED_MONITOR }));
      } catch (err) {
        // Two first pings at once: the other made it.
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
    }
    let first: MonitorRow | null = existing;
    return this.applyPing(async () => {
      const m = first ?? (await find());
      first = null;
      if (!m) throw new NotFoundError('monitor', monitorKey.slice(0, 40));
      return m;
    }, facts);
  }

  /** The ping log of a monitor, newest first (the newest TOCK_PING_LOG_SIZE are kept). */
  async listPings(actor: Actor, id: string, page: PageRequest = {}): Promise<Page<Ping>> {
    requireScope(actor.scopes, 'read:monitors');
    await this.load(actor, id);
    return findPage(this.deps.db.em(), PingEntity, { monitorId: id }, page, 'desc');
  }

  private async applyPing(read: () => Promise<MonitorRow>, facts: ReturnType<typeof pingFacts>): Promise<MonitorRow> {
    const { monitor } = await this.transitions.apply(read, () => ({
      event: { type: 'ping', kind: facts.kind, exitStatus: facts.exitStatus, at: this.deps.clock.now() },
      ping: facts,
    }));
    this.deps.events.pinged(facts.kind);
    return monitor;
  }

  /** The monitor of the actor's project, or not found (also for another tenant's id). */
  async load(actor: Actor, id: string): Promise<MonitorRow> {
    if (!isId('monitor', id)) throw new NotFoundError('monitor', id);
    const row = await monitorById(this.deps.db, actor.projectId, id);
    if (!row) throw new NotFoundError('monitor', id);
    return row;
  }
}
