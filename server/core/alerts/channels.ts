import { newId } from '../ids.js';
import type { AlertChannel, AlertEvent, AlertFormat, AlertPayload, AlertSubject, WebhookFormat } from '../types.js';
import type { AlertRow } from '../../store/entities.js';

/**
 * Where alerts go. A subject's channels are its own (a monitor's or schedule's alert email and
 * webhook) plus its project's notifications; the same receiver named twice gets one message.
 * A job's own terminal-state webhook is a separate channel with its own payload (`job`).
 */

export interface ChannelSpec {
  channel: AlertChannel;
  /** Email address or webhook URL. */
  target: string;
  format: AlertFormat;
  /** Extra request headers (a job's `webhook_headers`). */
  headers: Record<string, string>;
}

/** One place that may name an email and a webhook. */
export interface ChannelSource {
  email: string | null;
  webhookUrl: string | null;
  webhookFormat: WebhookFormat;
}

/** The message format of a webhook: as chosen, or for `auto` from the URL (Slack, Discord, else the JSON event). */
export function webhookFormatFor(url: string, chosen: WebhookFormat = 'auto'): 'json' | 'slack' | 'discord' {
  if (chosen !== 'auto') return chosen;
  let host: string;
  let path: string;
  try {
    const u = new URL(url);
    host = u.hostname.toLowerCase();
    path = u.pathname;
  } catch {
    return 'json';
  }
  if (host === 'hooks.slack.com') return 'slack';
  if ((host === 'discord.com' || host === 'discordapp.com' || host.endsWith('.discord.com')) && path.startsWith('/api/webhooks/')) return 'discord';
  return 'json';
}

/** The channels of `sources`, in order, each receiver once. */
export function channelsOf(sources: readonly ChannelSource[]): ChannelSpec[] {
  const out: ChannelSpec[] = [];
  const seen = new Set<string>();
  const add = (c: ChannelSpec) => {
    const key = `${c.channel}\u0000${c.channel === 'email' ? c.target.toLowerCase() : c.target}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(c);
  };
  for (const s of sources) {
    if (s.email) add({ channel: 'email', target: s.email, format: 'email', headers: {} });
    if (s.webhookUrl) add({ channel: 'webhook', target: s.webhookUrl, format: webhookFormatFor(s.webhookUrl, s.webhookFormat), headers: {} });
  }
  return out;
}

export interface AlertOrigin {
  projectId: string;
  shard: number;
  subjectType: AlertSubject;
  subjectId: string;
  /** The change that caused the alert; with the channel, unique in the outbox. */
  changeId: string;
}

/** Outbox rows: one per channel, due now. */
export function alertRows(origin: AlertOrigin, event: AlertEvent, payload: AlertPayload, channels: readonly ChannelSpec[], now: Date): AlertRow[] {
  return channels.map((c) => ({
    id: newId('alert'),
    ...origin,
    event,
    channel: c.channel,
    target: c.target,
    format: c.format,
    headers: c.headers,
    payload,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    createdAt: now,
    sentAt: null,
  }));
}

/** Where a person looks at a subject: the dashboard's page of it. */
export function subjectLink(publicUrl: string, subject: AlertSubject, id: string): string {
  return `${publicUrl}/${subject}s/${id}`;
}
