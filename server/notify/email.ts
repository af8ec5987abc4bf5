import { createTransport, type Transporter } from 'nodemailer';
import type { AlertPayload } from '../core/types.js';
import { summarize } from './summary.js';

/** An alert as an email: subject, a plain-text body and the same as HTML. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const TONE_COLOR = { bad: '#d93025', good: '#1e8e3e', neutral: '#5f6368' } as const;

export function emailMessage(p: AlertPayload): EmailMessage {
  const s = summarize(p);
  const rows: Array<[string, string]> = [['When', s.at], ...s.facts];
  if (s.error) rows.push(['Error', s.error]);
  const text = [s.title, '', ...rows.map(([k, v]) => `${k}: ${v}`), '', `Open in Tock: ${s.link}`, ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="color:${TONE_COLOR[s.tone]}">${escapeHtml(s.title)}</h2>`,
    '<table cellpadding="4">',
    ...rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    `<p><a href="${escapeHtml(s.link)}">Open in Tock</a></p>`,
    '</body></html>',
  ].join('\n');
  // A name may hold a line break; a header must not.
  return { subject: `[Tock] ${s.title}`.replace(/[\r\n]+/g, ' '), text, html };
}

/**
 * The SMTP transport of TOCK_SMTP_URL (`smtp://user:pass@host:587`, STARTTLS when the server
 * offers it; `smtps://` for TLS from the start). Every stage has a 10 s timeout, like webhooks.
 */
export function createMailer(smtpUrl: string, timeoutMs = 10_000): Transporter {
  const url = new URL(smtpUrl);
  return createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}
