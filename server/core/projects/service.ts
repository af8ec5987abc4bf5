import { z } from 'zod';
import { AccountEntity, ApiKeyEntity, ProjectEntity, type ProjectRow } from '../../store/entities.js';
import { webhookFormat } from '../alerts/settings.js';
import { newPingKey, newSigningSecret } from '../auth/secrets.js';
import { requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from '../errors.js';
import { isId, newId } from '../ids.js';
import type { Account, Page, PageRequest, Principal, Project, Updatable } from '../types.js';
import { findPage } from '../../store/pages.js';
import { findProjectId, firstProjectId } from '../../store/statements/projects.js';
import type { AuthCaches } from '../auth/cache.js';
import type { TargetAllowList } from '../targets.js';
import { checkHttpUrl, checkWebUrl, email, name, parse, targetUrl } from '../validation.js';

/**
 * `retentionDays`: executions, pings and sent alerts of the project older than this many days are
 * deleted (0 keeps them forever); null follows the server's TOCK_RETENTION_DAYS.
 */
const retentionDays = z
  .number({ message: 'expected a whole number of days (0 = keep forever), or null for the server default' })
  .int('expected a whole number of days (0 = keep forever), or null for the server default')
  .min(0, 'expected a whole number of days (0 = keep forever), or null for the server default')
  .max(36_500, 'at most 36500 days (100 years); 0 keeps forever')
  .nullish();

/** Project notifications (every schedule, job and monitor of the project also alerts these) and retention. */
const notifyFields = {
  notifyEmail: email.nullish(),
  notifyWebhookUrl: targetUrl.nullish(),
  notifyWebhookFormat: webhookFormat,
  retentionDays,
};
/** `url`: the address of what the project is about (a web site), shown as sent; Tock never calls it. */
export const projectInput = z.object({ name, url: targetUrl.nullish(), ...notifyFields }).strict();
export const projectPatch = z.object({ name: name.optional(), url: targetUrl.nullish(), ...notifyFields }).strict();
export type ProjectInput = z.input<typeof projectInput>;
export type ProjectPatch = z.input<typeof projectPatch>;
/** Every field `update` takes and its cleared value: a name cannot be cleared ('' is refused); a cleared webhook format is auto. */
export const PROJECT_UPDATABLE: Updatable<ProjectPatch> = { name: '', url: null, notifyEmail: null, notifyWebhookUrl: null, notifyWebhookFormat: 'auto', retentionDays: null };

/** The project's settings (its notification channels, its retention): what declarative sync manages of a project. */
export const projectSettingsInput = z.object(notifyFields).strict();
export type ProjectSettingsInput = z.input<typeof projectSettingsInput>;
export type ProjectSettings = Pick<Project, 'notifyEmail' | 'notifyWebhookUrl' | 'notifyWebhookFormat' | 'retentionDays'>;
export const PROJECT_SETTINGS = Object.keys(notifyFields) as Array<keyof ProjectSettings>;

/** The webhook URL as `create` and `update` store it. */
const notifyWebhookUrlOf = (url: string | null | undefined, allow: TargetAllowList): string | null =>
  url ? checkHttpUrl(url, 'notify_webhook_url', allow) : null;

/**
 * The settings `input` describes as a whole, checked and normalised as `update` stores them:
 * each field it leaves out takes its cleared value (PROJECT_UPDATABLE). Sync compares the
 * stored project with this.
 */
export function buildProjectSettings(input: ProjectSettingsInput, allow: TargetAllowList): ProjectSettings {
  const p = parse(projectSettingsInput, input);
  return {
    notifyEmail: p.notifyEmail ?? PROJECT_UPDATABLE.notifyEmail,
    notifyWebhookUrl: notifyWebhookUrlOf(p.notifyWebhookUrl, allow) ?? PROJECT_UPDATABLE.notifyWebhookUrl,
    notifyWebhookFormat: p.notifyWebhookFormat ?? PROJECT_UPDATABLE.notifyWebhookFormat,
    retentionDays: p.retentionDays ?? PROJECT_UPDATABLE.retentionDays,
  };
}

export function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    accountId: row.accountId,
    name: row.name,
    url: row.url,
    notifyEmail: row.notifyEmail,
    notifyWebhookUrl: row.notifyWebhookUrl,
    notifyWebhookFormat: row.notifyWebhookFormat,
    retentionDays: row.retentionDays,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function newProjectRow(accountId: string, name: string, now: Date): ProjectRow {
  return {
    id: newId('project'),
    accountId,
    name,
    url: null,
    signingSecret: newSigningSecret(),
    previousSigningSecret: null,
    notifyEmail: null,
    notifyWebhookUrl: null,
    notifyWebhookFormat: 'auto',
    retentionDays: null,
    pingKey: newPingKey(),
    createdAt: now,
    updatedAt: now,
  };
}

export class ProjectService {
  constructor(
    private readonly deps: CoreDeps,
    private readonly caches: AuthCaches,
  ) {}

  /** The settings `input` describes as a whole (see buildProjectSettings), webhook judged by this node's allow list. */
  buildSettings(input: ProjectSettingsInput): ProjectSettings {
    return buildProjectSettings(input, this.deps.allowTargets);
  }

  /** Creates an account with its first project (used by bootstrap and sign-up); `notifyEmail` is the project's. */
  async createAccount(input: { name: string; email?: string | null; projectName?: string; notifyEmail?: string | null }): Promise<{ account: Account; project: Project }> {
    const now = this.deps.clock.now();
    const account: Account = { id: newId('account'), email: input.email ?? null, name: input.name, createdAt: now };
    const project = newProjectRow(account.id, input.projectName ?? 'Default', now);
    project.notifyEmail = input.notifyEmail ?? null;
    await this.deps.db.em().transactional(async (em) => {
      await em.insert(AccountEntity, account);
      await em.insert(ProjectEntity, project);
    });
    return { account, project: toProject(project) };
  }

  async create(principal: Principal, input: ProjectInput): Promise<Project> {
    requireScope(principal.scopes, 'write:projects');
    if (principal.keyProjectId) {
      throw new PermissionDeniedError('write:projects', 'A key limited to one project cannot create projects');
    }
    const p = parse(projectInput, input);
    const row = newProjectRow(principal.accountId, p.name, this.deps.clock.now());
    row.url = p.url ? checkWebUrl(p.url) : null;
    row.notifyEmail = p.notifyEmail ?? null;
    row.notifyWebhookUrl = notifyWebhookUrlOf(p.notifyWebhookUrl, this.deps.allowTargets);
    row.notifyWebhookFormat = p.notifyWebhookFormat ?? 'auto';
    row.retentionDays = p.retentionDays ?? null;
    await this.deps.db.em().insert(ProjectEntity, row);
    return toProject(row);
  }

  /** The project row including its signing secrets; only for the core and the timer. */
  async getRow(principal: Principal, id: string): Promise<ProjectRow> {
    if (!isId('project', id) || (principal.keyProjectId && principal.keyProjectId !== id)) throw new NotFoundError('project', id);
    const row = await this.deps.db.em().findOne(ProjectEntity, { id, accountId: principal.accountId });
    if (!row) throw new NotFoundError('project', id);
    return row;
  }

  async get(principal: Principal, id: string): Promise<Project> {
    requireScope(principal.scopes, 'read:projects');
    return toProject(await this.getRow(principal, id));
  }

  async list(principal: Principal, page: PageRequest = {}): Promise<Page<Project>> {
    requireScope(principal.scopes, 'read:projects');
    const rows = await findPage(
      this.deps.db.em(),
      ProjectEntity,
      { accountId: principal.accountId, ...(principal.keyProjectId ? { id: principal.keyProjectId } : {}) },
      page,
      'asc',
    );
    return { items: rows.items.map(toProject), nextPageToken: rows.nextPageToken };
  }

  async update(principal: Principal, id: string, patch: ProjectPatch): Promise<Project> {
    requireScope(principal.scopes, 'write:projects');
    const p = parse(projectPatch, patch);
    const row = await this.getRow(principal, id);
    const changes: Partial<ProjectRow> = {};
    if (p.name !== undefined) changes.name = p.name;
    if (p.url !== undefined) changes.url = p.url ? checkWebUrl(p.url) : null;
    if (p.notifyEmail !== undefined) changes.notifyEmail = p.notifyEmail;
    if (p.notifyWebhookUrl !== undefined) changes.notifyWebhookUrl = notifyWebhookUrlOf(p.notifyWebhookUrl, this.deps.allowTargets);
    if (p.notifyWebhookFormat !== undefined) changes.notifyWebhookFormat = p.notifyWebhookFormat;
    if (p.retentionDays !== undefined) changes.retentionDays = p.retentionDays;
    if (Object.keys(changes).length > 0) {
      changes.updatedAt = this.deps.clock.now();
      await this.deps.db.em().nativeUpdate(ProjectEntity, { id }, changes);
    }
    return toProject({ ...row, ...changes });
  }

  /**
   * Deletes the project and everything in it: its schedules, jobs with their executions, monitors
   * with their pings, flips, alerts, and the keys limited to it. Runs not sent yet are cancelled
   * (the timer is told, and drops them); a call already on its way finishes, and its execution is
   * dropped with its job. The account keeps at least one project unless `allowLast` (a dialect
   * whose users expect to delete every project; the account's keys then act on none until one
   * is created).
   *
   * Locks, in this order: the account's projects (two deletes cannot both pass the last-project
   * rule), the project's schedules (a claim of their ticks in flight commits first, none can
   * follow, as for a schedule delete), its unfinished jobs in id order (as the timer's dispatch
   * mark takes them: a job is either marked and sent, or deleted unsent).
   */
  async delete(principal: Principal, id: string, opts: { allowLast?: boolean } = {}): Promise<void> {
    requireScope(principal.scopes, 'write:projects');
    await this.getRow(principal, id);
    const pending = await this.deps.db.em().transactional(async (tx) => {
      const projects = await tx.execute<Array<{ id: string }>>(`select id from projects where account_id = ? order by id for no key update`, [principal.accountId]);
      if (!projects.some((p) => p.id === id)) throw new NotFoundError('project', id);
      if (!opts.allowLast && projects.length <= 1) {
        throw new FailedPreconditionError(`Project '${id}' is the account's last project; create another before deleting it`);
      }
      await tx.execute(`select id from schedules where project_id = ? order by id for update`, [id]);
      const unsent = await tx.execute<Array<{ id: string; shard: number }>>(
        `select id, shard from jobs
          where project_id = ? and (status = 'scheduled' or (status = 'running' and dispatched_at is null))
          order by id for no key update`,
        [id],
      );
      await tx.nativeDelete(ApiKeyEntity, { projectId: id });
      // The rest goes by the foreign keys' cascades (schedules, jobs, executions, monitors, pings, flips, alerts).
      await tx.nativeDelete(ProjectEntity, { id, accountId: principal.accountId });
      return unsent;
    });
    this.caches.forgetProject(id);
    for (const j of pending) this.deps.waker.cancelled?.('job', Number(j.shard), j.id);
  }

  /**
   * The secrets outbound calls of the project are signed with (Standard Webhooks `whsec_...`).
   * While `previous` is set, calls carry a signature by each, so receivers can switch over.
   */
  async getSigningSecrets(principal: Principal, id: string): Promise<{ current: string; previous: string | null }> {
    requireScope(principal.scopes, 'write:projects');
    const row = await this.getRow(principal, id);
    return { current: row.signingSecret, previous: row.previousSigningSecret };
  }

  /**
   * Starts signing with a new secret. The old one keeps signing alongside until the next
   * rotation, or until `keepPrevious: false` drops it at once.
   */
  async rotateSigningSecret(principal: Principal, id: string, opts: { keepPrevious?: boolean } = {}): Promise<{ current: string; previous: string | null }> {
    requireScope(principal.scopes, 'write:projects');
    const row = await this.getRow(principal, id);
    const current = newSigningSecret();
    const previous = opts.keepPrevious === false ? null : row.signingSecret;
    // Conditional on the secret read: of two concurrent rotations, one wins and the other retries from what won.
    const changed = await this.deps.db
      .em()
      .nativeUpdate(ProjectEntity, { id, signingSecret: row.signingSecret }, { signingSecret: current, previousSigningSecret: previous, updatedAt: this.deps.clock.now() });
    if (changed === 0) return this.rotateSigningSecret(principal, id, opts);
    return { current, previous };
  }

  /**
   * The project's ping key, for `/ping/<ping key>/<monitor key>`. Projects made before ping keys
   * existed get one on first ask (conditional: of two first asks, both get the same key).
   */
  async getPingKey(principal: Principal, id: string): Promise<string> {
    requireScope(principal.scopes, 'write:monitors');
    const row = await this.getRow(principal, id);
    if (row.pingKey) return row.pingKey;
    await this.deps.db.em().nativeUpdate(ProjectEntity, { id, pingKey: null }, { pingKey: newPingKey() });
    return (await this.getRow(principal, id)).pingKey!;
  }

  /** Replaces the ping key: URLs with the old one stop working at once (the token URLs are unaffected). */
  async rotatePingKey(principal: Principal, id: string): Promise<string> {
    requireScope(principal.scopes, 'write:monitors');
    await this.getRow(principal, id);
    const pingKey = newPingKey();
    await this.deps.db.em().nativeUpdate(ProjectEntity, { id }, { pingKey, updatedAt: this.deps.clock.now() });
    return pingKey;
  }

  /**
   * The id of the project a request acts on: the one asked for, the key's own, or the account's
   * oldest. Cached per node (see AuthCaches): read once per account and project asked per TTL.
   */
  async resolveId(principal: Principal, requested: string | null | undefined): Promise<string> {
    const wanted = requested || principal.keyProjectId;
    if (wanted && (!isId('project', wanted) || (principal.keyProjectId && principal.keyProjectId !== wanted))) {
      throw new NotFoundError('project', wanted);
    }
    const key = `${principal.accountId}\u0000${wanted ?? ''}`;
    const id = await this.caches.projects.get(key, () =>
      wanted ? findProjectId(this.deps.db, principal.accountId, wanted) : firstProjectId(this.deps.db, principal.accountId),
    );
    if (id) return id;
    if (wanted) throw new NotFoundError('project', wanted);
    throw new FailedPreconditionError('This account has no project; create one first');
  }
}
