import { ProjectEntity } from '../store/entities.js';
import type { Database } from '../store/database.js';

export { Deliverer, type DelivererOptions, type DeliveryOutcome } from './deliver.js';
export { createMailer, emailMessage, type EmailMessage } from './email.js';
export { discordMessage, jobMessage, jsonMessage, slackMessage, webhookBody } from './messages.js';
export { summarize, type AlertSummary } from './summary.js';

/** A project's signing secrets read from the database (current first), for `Deliverer`. */
export function signingSecretsFrom(db: Database): (projectId: string) => Promise<string[]> {
  return async (projectId) => {
    const row = await db.em().findOne(ProjectEntity, { id: projectId }, { fields: ['signingSecret', 'previousSigningSecret'] });
    if (!row) throw new Error(`project ${projectId} is gone`);
    return row.previousSigningSecret ? [row.signingSecret, row.previousSigningSecret] : [row.signingSecret];
  };
}
