import { Agent, request } from 'undici';

/**
 * The one task handler every peer runs: a POST to the sink with `undici.request` on a shared
 * keep-alive `undici.Agent`, carrying the due time and the bench job id in headers. Tock's own
 * executor (`server/executor/http-executor.ts`) uses an undici Agent with 64 connections per
 * origin and pipelining 1; this agent has the same limits so the HTTP side is the same for all.
 */

export interface SinkJob {
  id: string;
  dueAtMs: number;
}

export const SINK_CONNECTIONS = 64;

let agent: Agent | null = null;

export function sinkAgent(): Agent {
  agent ??= new Agent({ connections: SINK_CONNECTIONS, pipelining: 1, keepAliveTimeout: 30_000 });
  return agent;
}

export async function callSink(sinkUrl: string, job: SinkJob): Promise<void> {
  const res = await request(sinkUrl, {
    method: 'POST',
    dispatcher: sinkAgent(),
    headers: { 'x-due-at': String(job.dueAtMs), 'x-job-id': job.id },
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`sink answered ${res.statusCode}`);
}

export async function closeSinkAgent(): Promise<void> {
  const a = agent;
  agent = null;
  await a?.close();
}
