import type { Core } from '../../core/index.js';
import type { AlertSubject, FlipSubject, Monitor } from '../../core/types.js';
import type { AlertServiceServer } from '../../../client/src/gen/tock/v1/alert.js';
import type { JobServiceServer } from '../../../client/src/gen/tock/v1/job.js';
import type { MonitorServiceServer } from '../../../client/src/gen/tock/v1/monitor.js';
import type { ProjectServiceServer } from '../../../client/src/gen/tock/v1/project.js';
import type { ScheduleServiceServer } from '../../../client/src/gen/tock/v1/schedule.js';
import * as codec from './codec.js';
import { pingMetaOf } from '../shared/identity.js';
import type { Rpc } from './rpc.js';

/** The tock.v1 services: each method authenticates (see Rpc), translates, and calls the core once. */

export function scheduleService(core: Core, { project }: Rpc): ScheduleServiceServer {
  const s = core.schedules;
  const out = codec.scheduleToProto;
  return {
    createSchedule: project(async (req, a) => out(await s.create(a, codec.scheduleFromProto(req.schedule)))),
    getSchedule: project(async (req, a) => out(await s.get(a, req.id))),
    listSchedules: project(async (req, a) => codec.pageToProto('schedules', await s.list(a, codec.scheduleListFromProto(req)), out)),
    updateSchedule: project(async (req, a) =>
      out(await s.update(a, req.schedule?.id ?? '', codec.schedulePatchFromProto(req.schedule, req.updateMask))),
    ),
    deleteSchedule: project(async (req, a) => (await s.delete(a, req.id), {})),
    pauseSchedule: project(async (req, a) => out(await s.pause(a, req.id))),
    resumeSchedule: project(async (req, a) => out(await s.resume(a, req.id))),
    triggerSchedule: project(async (req, a) => codec.jobToProto(await s.trigger(a, req.id))),
    listScheduleExecutions: project(async (req, a) =>
      codec.pageToProto('executions', await s.listExecutions(a, req.id, codec.pageFromProto(req)), codec.executionToProto),
    ),
  };
}

export function jobService(core: Core, { project }: Rpc): JobServiceServer {
  const j = core.jobs;
  const out = codec.jobToProto;
  return {
    createJob: project(async (req, a) => out(await j.create(a, codec.jobFromProto(req.job)))),
    createJobs: project(async (req, a) => codec.jobBatchToProto(await j.createMany(a, req.jobs.map(codec.jobFromProto)))),
    getJob: project(async (req, a) => out(await j.get(a, req.id))),
    listJobs: project(async (req, a) => codec.pageToProto('jobs', await j.list(a, codec.jobListFromProto(req)), out)),
    cancelJob: project(async (req, a) => out(await j.cancel(a, req.id))),
    listJobExecutions: project(async (req, a) =>
      codec.pageToProto('executions', await j.listExecutions(a, req.id, codec.pageFromProto(req)), codec.executionToProto),
    ),
  };
}

export function monitorService(core: Core, { project }: Rpc): MonitorServiceServer {
  const m = core.monitors;
  const out = (monitor: Monitor) => codec.monitorToProto(monitor, m.pingUrl(monitor));
  return {
    createMonitor: project(async (req, a) => out(await m.create(a, codec.monitorFromProto(req.monitor)))),
    getMonitor: project(async (req, a) => out(await m.get(a, req.id))),
    listMonitors: project(async (req, a) => codec.pageToProto('monitors', await m.list(a, codec.pageFromProto(req)), out)),
    updateMonitor: project(async (req, a) =>
      out(await m.update(a, req.monitor?.id ?? '', codec.monitorPatchFromProto(req.monitor, req.updateMask))),
    ),
    deleteMonitor: project(async (req, a) => (await m.delete(a, req.id), {})),
    pauseMonitor: project(async (req, a) => out(await m.pause(a, req.id))),
    resumeMonitor: project(async (req, a) => out(await m.resume(a, req.id))),
    recordPing: project(async (req, a, identity) =>
      out(
        await m.recordPing(a, req.id, codec.pingKindFromProto(req.kind), {
          ...pingMetaOf(identity, req.body || null),
          exitStatus: codec.exitStatusFromProto(req.exitStatus),
        }),
      ),
    ),
    listMonitorPings: project(async (req, a) => codec.pageToProto('pings', await m.listPings(a, req.id, codec.pageFromProto(req)), codec.pingToProto)),
  };
}

export function projectService(core: Core, { account }: Rpc): ProjectServiceServer {
  const p = core.projects;
  const k = core.keys;
  const out = codec.projectToProto;
  return {
    createProject: account(async (req, who) => out(await p.create(who, codec.projectFromProto(req.project)))),
    getProject: account(async (req, who) => out(await p.get(who, req.id))),
    listProjects: account(async (req, who) => codec.pageToProto('projects', await p.list(who, codec.pageFromProto(req)), out)),
    updateProject: account(async (req, who) =>
      out(await p.update(who, req.project?.id ?? '', codec.projectPatchFromProto(req.project, req.updateMask))),
    ),
    deleteProject: account(async (req, who) => (await p.delete(who, req.id), {})),
    createKey: account(async (req, who) => {
      const { key, secret } = await k.create(who, codec.keyFromProto(req.key));
      return { key: codec.keyToProto(key), secret };
    }),
    listKeys: account(async (req, who) => codec.pageToProto('keys', await k.list(who, codec.pageFromProto(req)), codec.keyToProto)),
    revokeKey: account(async (req, who) => codec.keyToProto(await k.revoke(who, req.id))),
    getPingKey: account(async (req, who) => ({ pingKey: await p.getPingKey(who, req.id) })),
    rotatePingKey: account(async (req, who) => ({ pingKey: await p.rotatePingKey(who, req.id) })),
  };
}

export function alertService(core: Core, { project }: Rpc): AlertServiceServer {
  const al = core.alerts;
  return {
    listFlips: project(async (req, a) => {
      const { subjectType, subjectId, page } = codec.subjectPageFromProto<FlipSubject>(req);
      return codec.pageToProto('flips', await al.listFlips(a, subjectType, subjectId, page), codec.flipToProto);
    }),
    listAlerts: project(async (req, a) => {
      const { subjectType, subjectId, page } = codec.subjectPageFromProto<AlertSubject>(req);
      return codec.pageToProto('alerts', await al.list(a, subjectType, subjectId, page), codec.alertToProto);
    }),
  };
}
