import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { ALERT_POLICIES, WEBHOOK_FORMATS, type AlertPolicy, type WebhookFormat } from '../types.js';
import type { TargetAllowList } from '../targets.js';
import { checkHttpUrl } from '../validation.js';

/** The alert settings fields monitors and schedules share (zod shape for their inputs). */
export const alertSettingFields = {
  alertPolicy: z.enum(ALERT_POLICIES, { message: `must be one of ${ALERT_POLICIES.join(', ')}` }).optional(),
  alertAfterFailures: z.number().int('must be an integer').min(1, 'must be at least 1').max(1000, 'must be at most 1000').nullish(),
  alertReminderSeconds: z
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1 second')
    .max(30 * 86_400, 'must be at most 2592000 (30 days)')
    .nullish(),
  alertWebhookFormat: z.enum(WEBHOOK_FORMATS, { message: `must be one of ${WEBHOOK_FORMATS.join(', ')}` }).optional(),
};

export const webhookFormat = alertSettingFields.alertWebhookFormat;

/** Defaults of a new monitor or schedule. */
export const ALERT_SETTING_DEFAULTS: AlertPolicy & { alertWebhookFormat: WebhookFormat } = {
  alertPolicy: 'on_change',
  alertAfterFailures: null,
  alertReminderSeconds: null,
  alertWebhookFormat: 'auto',
};

/**
 * Brings a patched policy into shape: choosing another policy drops the N of `after_failures`
 * unless the patch sets both; `after_failures` needs its N.
 */
export function settlePolicy(next: AlertPolicy, patch: { alertPolicy?: string; alertAfterFailures?: number | null }): void {
  if (patch.alertPolicy !== undefined && patch.alertPolicy !== 'after_failures' && patch.alertAfterFailures === undefined) next.alertAfterFailures = null;
  if (next.alertPolicy === 'after_failures' && next.alertAfterFailures == null) {
    throw new InvalidArgumentError("alert_after_failures: is required when alert_policy is 'after_failures'", 'alert_after_failures');
  }
  if (next.alertPolicy !== 'after_failures' && next.alertAfterFailures != null) {
    throw new InvalidArgumentError("alert_after_failures: only applies with alert_policy 'after_failures'", 'alert_after_failures');
  }
}

/** A webhook URL field checked like every outbound target (an empty one means none). */
export function checkWebhookUrl(url: string | null, field: string, allow: TargetAllowList): string | null {
  return url ? checkHttpUrl(url, field, allow) : null;
}
