import { requireScope } from '../auth/scopes.js';
import { PROJECT_SETTINGS, type ProjectService, type ProjectSettings, type ProjectSettingsInput } from '../projects/service.js';
import type { Actor, Principal, Project } from '../types.js';
import { changesOf, type FieldChanges } from './diff.js';

/**
 * The project's own settings as a step of a sync, beside the kinds: the project is one object,
 * not a keyed list, so it has no create, match or prune. Given (`project` in the input), the
 * stored settings are compared with what the input makes them (every field it leaves out takes
 * its cleared value, as entries' fields take their defaults) and only what differs is written.
 * Left out, the project is neither read nor written.
 */
export interface ProjectStepPlan {
  stored: Project;
  changes: FieldChanges;
}

/**
 * The actor's project is the one `Core.actor` resolved for its key, so the project service is
 * called as a principal limited to that project: it can reach that project and no other.
 */
function principalOf(actor: Actor): Principal {
  return { accountId: actor.accountId, keyId: actor.keyId, keyProjectId: actor.projectId, scopes: actor.scopes };
}

export class ProjectStep {
  constructor(private readonly projects: ProjectService) {}

  /** Throws PermissionDeniedError unless the actor may read (plan) or write (apply) project settings. */
  checkScope(actor: Actor, access: 'read' | 'write'): void {
    requireScope(actor.scopes, access === 'read' ? 'read:projects' : 'write:projects');
  }

  /** What the settings become (the service's own checks; throws its validation errors). */
  build(input: ProjectSettingsInput): ProjectSettings {
    return this.projects.buildSettings(input);
  }

  async plan(actor: Actor, desired: ProjectSettings): Promise<ProjectStepPlan> {
    const stored = await this.projects.get(principalOf(actor), actor.projectId);
    return { stored, changes: changesOf(stored as ProjectSettings, desired, PROJECT_SETTINGS) };
  }

  /** Writes the changed fields; returns the project as stored after it. */
  async apply(actor: Actor, plan: ProjectStepPlan): Promise<Project> {
    const fields = Object.keys(plan.changes) as Array<keyof ProjectSettings>;
    if (fields.length === 0) return plan.stored;
    const patch = Object.fromEntries(fields.map((f) => [f, plan.changes[f].to]));
    return this.projects.update(principalOf(actor), actor.projectId, patch);
  }
}
