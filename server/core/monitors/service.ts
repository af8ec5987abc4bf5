import { z } from 'zod';
import { MonitorEntity, PingEntity } from '../../store/entities.js';
import { findPage } from '../../store/pages.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../store/errors.js';
import { randomToken } from '../auth/secrets.js';
import { requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { isId, newId } from '../ids.js';
import { checkCron, checkInterval, checkTimezone, nextRunAfter } from '../schedules/timing.js';
import { shardOf } from '../shard.js';
import type { Actor, Monitor, Page, PageRequest, PingKind } from '../types.js';
import { checkHttpUrl, email, name, parse, userKey } from '../validation.js';

const fields = {
  key: userKey.nullish(),
  name: name.optional(),
  periodSeconds: z.number().nullish(),
  cron: z.string().nullish(),
  timezone: z.string().nullish(),
  graceSeconds: z.number().int('must be an integer').min(0, 'must be 0 or more').max(30 * 86_400, 'must be at most 2592000 (30 days)').optional(),
  alertEmail: email.nullish(),
  alertWebhook: z.string().nullish(),
};
export const monitorInput = z.object(fields).strict();
export const monitorPatch = z.object(fields).strict();
export type MonitorInput = z.input<typeof monitorInput>;
export type MonitorPatch = z.input<typeof monitorPatch>;

export const PING_KINDS = ['success', 'start', 'fail'] as const;
export const DEFAULT_GRACE_SECONDS = 60;
const MAX_PING_BODY = 10_000;

export interface PingMeta {
  sourceIp?: string | null;
  userAgent?: string | null;
  body?: string | null;
}

function checkMonitor(m: Monitor): void {
  m.timezone = checkTimezone(m.timezone);
  if (m.cron && m.periodSeconds !== null) throw new InvalidArgumentError('Set either cron or period_seconds, not both', 'cron');
  if (!m.cron && m.periodSeconds === null) throw new InvalidArgumentError('Set period_seconds or cron', 'period_seconds');
  if (m.cron) m.cron = checkCron(m.cron, m.timezone);
  else checkInterval(m.periodSeconds!, 'period_seconds');
  if (m.alertWebhook) m.alertWebhook = checkHttpUrl(m.alertWebhook, 'alert_webhook');
}

/** The deadline after a ping at `at`: the next expected ping plus grace. */
export function deadlineAfter(m: Monitor, at: Date): Date | null {
  const next = m.cron
    ? nextRunAfter({ cron: m.cron, timezone: m.timezone, intervalSeconds: null }, at)
    : new Date(at.getTime() + m.periodSeconds! * 1000);
  return next ? new Date(next.getTime() + m.graceSeconds * 1000) : null;
}

export class MonitorService {
  constructor(private readonly deps: CoreDeps) {}

  pingUrl(m: Pick<Monitor, 'pingToken'>): string {
    return `${this.deps.publicUrl}/ping/${m.pingToken}`;
  }

  async create(actor: Actor, input: MonitorInput): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    const p = parse(monitorInput, input);
    const now = this.deps.clock.now();
    const id = newId('monitor');
    const m: Monitor = {
      id,
      projectId: actor.projectId,
      shard: shardOf(id),
      key: p.key ?? null,
      name: p.name ?? p.key ?? 'monitor',
      periodSeconds: p.periodSeconds ?? null,
      cron: p.cron ?? null,
      timezone: p.timezone ?? 'UTC',
      graceSeconds: p.graceSeconds ?? DEFAULT_GRACE_SECONDS,
      status: 'new',
      pingToken: randomToken(24),
      lastPingAt: null,
      lastStartAt: null,
      pingCount: 0,
      nextDeadlineAt: null,
      lastAlertAt: null,
      alertEmail: p.alertEmail ?? null,
      alertWebhook: p.alertWebhook ?? null,
      createdAt: now,
      updatedAt: now,
    };
    checkMonitor(m);
    try {
      await this.deps.db.em().insert(MonitorEntity, m);
    } catch (err) {
      if (isUniqueViolation(err, 'monitors_project_key_uq')) throw new AlreadyExistsError('monitor', 'key', m.key!);
      // The project was deleted since the request resolved it (another node's cache may lag by its TTL).
      if (isForeignKeyViolation(err, 'monitors_project_id_fkey')) throw new NotFoundError('project', actor.projectId);
      throw err;
    }
    return m;
  }

  async get(actor: Actor, id: string): Promise<Monitor> {
    requireScope(actor.scopes, 'read:monitors');
    return this.load(actor, id);
  }

  async list(actor: Actor, page: PageRequest = {}): Promise<Page<Monitor>> {
    requireScope(actor.scopes, 'read:monitors');
    return findPage(this.deps.db.em(), MonitorEntity, { projectId: actor.projectId }, page, 'asc');
  }

  async update(actor: Actor, id: string, patch: MonitorPatch): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    const p = parse(monitorPatch, patch);
    const current = await this.load(actor, id);
    const next: Monitor = { ...current };
    for (const [k, v] of Object.entries(p)) {
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    }
    if (p.cron && p.periodSeconds === undefined) next.periodSeconds = null;
    if (p.periodSeconds != null && p.cron === undefined) next.cron = null;
    if (p.timezone === null) next.timezone = 'UTC';
    checkMonitor(next);
    next.updatedAt = this.deps.clock.now();
    if (next.status === 'up' && next.lastPingAt) next.nextDeadlineAt = deadlineAfter(next, next.lastPingAt);
    const { id: _i, projectId: _p, shard: _s, createdAt: _c, pingToken: _t, ...changes } = next;
    try {
      await this.deps.db.em().nativeUpdate(MonitorEntity, { id, projectId: actor.projectId }, changes);
    } catch (err) {
      if (isUniqueViolation(err, 'monitors_project_key_uq')) throw new AlreadyExistsError('monitor', 'key', next.key!);
      throw err;
    }
    return next;
  }

  async delete(actor: Actor, id: string): Promise<void> {
    requireScope(actor.scopes, 'write:monitors');
    await this.load(actor, id);
    await this.deps.db.em().nativeDelete(MonitorEntity, { id, projectId: actor.projectId });
  }

  /** Paused monitors ignore deadlines until resumed; resuming waits for the next ping ("new"). */
  async pause(actor: Actor, id: string): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    const m = await this.load(actor, id);
    if (m.status === 'paused') return m;
    const now = this.deps.clock.now();
    const changed = await this.deps.db
      .em()
      .nativeUpdate(MonitorEntity, { id, status: m.status }, { status: 'paused', nextDeadlineAt: null, updatedAt: now });
    return changed ? { ...m, status: 'paused', nextDeadlineAt: null, updatedAt: now } : this.load(actor, id);
  }

  async resume(actor: Actor, id: string): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    const m = await this.load(actor, id);
    if (m.status !== 'paused') return m;
    const now = this.deps.clock.now();
    const changed = await this.deps.db.em().nativeUpdate(MonitorEntity, { id, status: 'paused' }, { status: 'new', updatedAt: now });
    return changed ? { ...m, status: 'new', updatedAt: now } : this.load(actor, id);
  }

  /** A ping through the API, by monitor id. */
  async recordPing(actor: Actor, id: string, kind: PingKind = 'success', meta: PingMeta = {}): Promise<Monitor> {
    requireScope(actor.scopes, 'write:monitors');
    const m = await this.load(actor, id);
    return this.applyPing(m, kind, meta);
  }

  /** A ping through the public ping URL: the token is the only credential. */
  async pingByToken(token: string, kind: PingKind = 'success', meta: PingMeta = {}): Promise<Monitor> {
    const m = /^[0-9A-Za-z]{16,64}$/.test(token) ? await this.deps.db.em().findOne(MonitorEntity, { pingToken: token }) : null;
    if (!m) throw new NotFoundError('monitor', token.slice(0, 8) + '…');
    return this.applyPing(m, kind, meta);
  }

  /**
   * Records the ping and moves the monitor: success -> up with a new deadline, fail -> down,
   * start -> only remembered. A ping to a paused monitor resumes it. The counter is bumped in
   * SQL so concurrent pings are all counted.
   */
  private async applyPing(m: Monitor, kind: PingKind, meta: PingMeta): Promise<Monitor> {
    if (!(PING_KINDS as readonly string[]).includes(kind)) {
      throw new InvalidArgumentError(`kind: must be one of ${PING_KINDS.join(', ')}`, 'kind');
    }
    const now = this.deps.clock.now();
    const em = this.deps.db.em();
    await em.insert(PingEntity, {
      id: newId('ping'),
      monitorId: m.id,
      kind,
      receivedAt: now,
      sourceIp: meta.sourceIp ?? null,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      body: meta.body?.slice(0, MAX_PING_BODY) ?? null,
    });
    const changes: Partial<Monitor> = { updatedAt: now };
    if (kind === 'start') changes.lastStartAt = now;
    else {
      changes.lastPingAt = now;
      changes.status = kind === 'success' ? 'up' : 'down';
      changes.nextDeadlineAt = kind === 'success' ? deadlineAfter(m, now) : null;
    }
    const rows = await this.deps.db.execute<{ ping_count: string }>(
      'update monitors set ping_count = ping_count + 1 where id = ? returning ping_count',
      [m.id],
    );
    await em.nativeUpdate(MonitorEntity, { id: m.id }, changes);
    const out = { ...m, ...changes, pingCount: Number(rows[0]?.ping_count ?? m.pingCount + 1) };
    if (out.nextDeadlineAt) this.deps.waker.wake('monitor', m.shard, out.nextDeadlineAt);
    return out;
  }

  private async load(actor: Actor, id: string): Promise<Monitor> {
    if (!isId('monitor', id)) throw new NotFoundError('monitor', id);
    const row = await this.deps.db.em().findOne(MonitorEntity, { id, projectId: actor.projectId });
    if (!row) throw new NotFoundError('monitor', id);
    return row;
  }
}
