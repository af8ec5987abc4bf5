import { MAX_GRACE_SECONDS, MONITOR_UPDATABLE, type MonitorInput, type MonitorPatch } from '../../../core/monitors/service.js';
import type { Monitor } from '../../../core/types.js';
import { mergeOf, type MonitorView } from '../../shared/index.js';
import type { DialectError } from '../dialect.js';
import type { MonitorBody, MonitorPatchBody } from './schemas.js';

/**
 * CronPeek's field map over the shared monitor view, and the defaults its document states. A
 * CronPeek monitor is a Tock monitor with a period: `schedule` is its period in seconds, `grace`
 * its grace, `monitorId` its id.
 */

/** Where CronPeek's ping URLs point: `/api/v1/ping/<token>` under TOCK_PUBLIC_URL. */
export const PING_PATH = '/api/v1/ping';

/** The document's smallest grace, and the floor of its default. */
export const MIN_GRACE_SECONDS = 60;

/** "Defaults to 10% of schedule (min: 60s)"; never above the core's longest grace. */
export function defaultGrace(schedule: number | null): number {
  const tenth = schedule === null ? MIN_GRACE_SECONDS : Math.ceil(schedule / 10);
  return Math.min(MAX_GRACE_SECONDS, Math.max(MIN_GRACE_SECONDS, tenth));
}

/** What `monitors` says in the account answer: the server's monitor limit, or null for none. */
export interface AccountJson {
  apiKey: string;
  plan: 'self-hosted';
  monitors: number | null;
}

export function accountJson(apiKey: string, monitorLimit: number | null): AccountJson {
  return { apiKey, plan: 'self-hosted', monitors: monitorLimit };
}

/** A create (and a PUT's replacement) as the core's monitor input. */
export function monitorInput(b: MonitorBody): MonitorInput {
  return {
    name: b.name,
    periodSeconds: b.schedule,
    graceSeconds: b.grace ?? defaultGrace(b.schedule),
    alertEmail: b.alertEmail ?? null,
    alertWebhook: b.alertWebhook ?? null,
  };
}

/**
 * PUT: the document's fields replaced, each one left out taking its create default (grace from
 * the new schedule, no alert email or webhook of the monitor's own). Fields CronPeek does not
 * show (a key, a time zone, an alert policy set through another surface) stay as they are.
 */
export function replacement(b: MonitorBody): MonitorPatch {
  return mergeOf(MONITOR_UPDATABLE, monitorInput(b) as MonitorPatch);
}

/** PATCH: given fields change; null clears alertEmail and alertWebhook and puts grace back to its default. */
export function merge(b: MonitorPatchBody, current: Pick<Monitor, 'periodSeconds'>): MonitorPatch {
  const body: { [K in keyof MonitorPatch]?: MonitorPatch[K] | null } = {};
  if (b.name !== undefined) body.name = b.name;
  if (b.schedule !== undefined) body.periodSeconds = b.schedule;
  if (b.grace !== undefined) body.graceSeconds = b.grace ?? defaultGrace(b.schedule ?? current.periodSeconds);
  if (b.alertEmail !== undefined) body.alertEmail = b.alertEmail;
  if (b.alertWebhook !== undefined) body.alertWebhook = b.alertWebhook;
  return mergeOf(MONITOR_UPDATABLE, body);
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * One monitor as every CronPeek answer shows it (create, list, status, get, update): the
 * document's fields, which it shows in part per endpoint, all of them each time. `schedule` is
 * null for a monitor made elsewhere on a cron expression.
 */
export function monitorJson(v: MonitorView) {
  return {
    monitorId: v.id,
    name: v.name,
    pingUrl: v.pingUrl,
    schedule: v.periodSeconds,
    grace: v.graceSeconds,
    status: v.status,
    lastPing: iso(v.lastPingAt),
    lastAlert: iso(v.lastAlertAt),
    pingCount: v.pingCount,
    alertEmail: v.alertEmail,
    alertWebhook: v.alertWebhook,
  };
}

/** The core's snake_case field names (in its errors) as the document spells them. */
const FIELD_NAMES: Record<string, string> = {
  period_seconds: 'schedule',
  grace_seconds: 'grace',
  alert_email: 'alertEmail',
  alert_webhook: 'alertWebhook',
};

/**
 * `{"error": "message"}`. A message about a field names it the document's way: a core
 * `period_seconds: ...` is `schedule: ...`, and a message that starts without its field (an
 * invalid URL) gets it in front.
 */
export function errorBody(e: DialectError): { error: string } {
  const name = e.field ? FIELD_NAMES[e.field] : undefined;
  // An unknown field is named as it was sent, not as a known one.
  if (!name || e.message.startsWith('Unknown field')) return { error: e.message };
  const own = `${e.field}: `;
  return { error: `${name}: ${e.message.startsWith(own) ? e.message.slice(own.length) : e.message}` };
}

/** The document's answer to a create past the limit. */
export function monitorLimitMessage(limit: number): string {
  return `Monitor limit reached (${limit}). Upgrade your plan for more monitors.`;
}
