import { describe, expect, it } from 'vitest';
import { schedulerCheck, type SchedulerState } from '../../../server/surfaces/http/health.js';

const state = (s: Partial<SchedulerState> & { held?: number; valid?: number }): SchedulerState => ({
  running: s.running ?? true,
  stopping: s.stopping ?? false,
  shards: { held: s.held ?? 0, valid: s.valid ?? s.held ?? 0 },
  liveNodes: s.liveNodes ?? 1,
});

describe('the scheduler check of /readyz', () => {
  it('is off on a node without a scheduler', () => {
    expect(schedulerCheck(null)).toBe('off');
  });

  it('passes for a started node holding leases, whatever the number of nodes', () => {
    expect(schedulerCheck(state({ held: 256, liveNodes: 1 }))).toBe('ok');
    expect(schedulerCheck(state({ held: 86, liveNodes: 3 }))).toBe('ok');
  });

  it('passes for the only node once started, even before it holds a lease', () => {
    expect(schedulerCheck(state({ held: 0, liveNodes: 1 }))).toBe('ok');
  });

  it('fails for a started node that holds no lease while other nodes are live', () => {
    expect(schedulerCheck(state({ held: 0, liveNodes: 2 }))).toBe('no_leases');
  });

  it('fails for a node holding leases none of which it renewed in time, alone or not', () => {
    expect(schedulerCheck(state({ held: 256, valid: 0, liveNodes: 1 }))).toBe('leases_lapsed');
    expect(schedulerCheck(state({ held: 86, valid: 0, liveNodes: 3 }))).toBe('leases_lapsed');
    expect(schedulerCheck(state({ held: 86, valid: 1, liveNodes: 3 }))).toBe('ok');
  });

  it('fails before start and from the moment the node begins to stop', () => {
    expect(schedulerCheck(state({ running: false, held: 0 }))).toBe('not_started');
    expect(schedulerCheck(state({ stopping: true, held: 256 }))).toBe('stopping');
  });
});
