import { Api, ApiError, type Activity, type Alert, type Execution, type Flip, type Job, type Monitor, type Page, type Ping, type Schedule } from './api.js';
import { ActivityChart } from './chart.js';
import { h, mount, type Child } from './dom.js';
import { cadence, duration, relative, viewerZone, when } from './format.js';
import './style.css';

/** The key lives in session storage: it is gone when the tab closes, and never leaves this origin but as the API's Bearer token. */
const KEY_STORAGE = 'tock.apiKey';
const REFRESH_MS = 2_000;
/** How many schedules and monitors one refresh shows (one page of the API). */
const LIST_SIZE = 200;
/** Newest jobs (one-time and spawned) shown. */
const RECENT_JOBS = 15;
/** Recent attempts shown per schedule. */
const RECENT = 8;
/** Subjects whose alerts one refresh reads (the newest alerts of each). */
const ALERT_SUBJECTS = 50;

type Selected = { kind: 'schedule'; id: string } | { kind: 'monitor'; id: string } | { kind: 'job'; id: string; scheduleId: string | null } | null;

interface Section<T> {
  data: T | null;
  error: string | null;
}

interface State {
  schedules: Section<Schedule[]>;
  recent: Map<string, Execution[]>;
  jobs: Section<Job[]>;
  monitors: Section<Monitor[]>;
  alerts: Section<Alert[]>;
  activity: Section<Activity>;
  selected: Selected;
  refreshedAt: Date | null;
  notice: string | null;
}

const root = document.getElementById('app')!;

function message(err: unknown): string {
  if (err instanceof ApiError) return err.code ? `${err.message} (${err.code})` : err.message;
  return err instanceof Error ? err.message : String(err);
}

function settled<T>(r: PromiseSettledResult<T>): Section<T> {
  return r.status === 'fulfilled' ? { data: r.value, error: null } : { data: null, error: message(r.reason) };
}

function statusBadge(status: string | null, field: string): HTMLElement {
  return h('span', { class: `badge s-${status ?? 'none'}`, 'data-field': field }, status ?? 'never run');
}

// ---------------------------------------------------------------------------------------------
// Log in

function showLogin(error: string | null = null): void {
  const input = h('input', { id: 'api-key', type: 'password', name: 'apiKey', placeholder: 'tock_…', autocomplete: 'off', required: true, size: 48 });
  const form = h(
    'form',
    {
      id: 'login',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        try {
          // Any read proves the key; the schedules list is the first thing shown anyway.
          await new Api(key).query<Page<Schedule>>('schedules.list', { pageSize: 1 });
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) return showLogin(`That key was not accepted: ${message(err)}`);
          // 403: a valid key without read:jobs (a monitors-only key, say) still sees what it may.
          if (!(err instanceof ApiError && err.status === 403)) return showLogin(`Could not log in: ${message(err)}`);
        }
        sessionStorage.setItem(KEY_STORAGE, key);
        start(key);
      },
    },
    h('h1', {}, 'Tock'),
    h('p', {}, 'Log in with an API key of your project (for example the admin key the server printed on its first start). It is kept in this tab only.'),
    h('label', { for: 'api-key' }, 'API key '),
    input,
    ' ',
    h('button', { type: 'submit', id: 'login-submit' }, 'Log in'),
    error ? h('p', { class: 'error', role: 'alert', id: 'login-error' }, error) : null,
  );
  mount(root, h('main', { class: 'login' }, form));
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// The dashboard

function start(key: string): void {
  const api = new Api(key);
  const state: State = {
    schedules: { data: null, error: null },
    recent: new Map(),
    jobs: { data: null, error: null },
    monitors: { data: null, error: null },
    alerts: { data: null, error: null },
    activity: { data: null, error: null },
    selected: null,
    refreshedAt: null,
    notice: null,
  };

  const chartEl = h('div', { id: 'activity-chart' });
  const chart = new ActivityChart(chartEl);
  const statusEl = h('span', { id: 'refreshed' });
  const noticeEl = h('div', { id: 'notice', role: 'status' });
  const schedulesEl = h('section', { id: 'schedules' });
  const jobsEl = h('section', { id: 'jobs' });
  const monitorsEl = h('section', { id: 'monitors' });
  const alertsEl = h('section', { id: 'alerts' });
  const detailEl = h('section', { id: 'detail' });
  const activityErrorEl = h('p', { class: 'error' });

  mount(
    root,
    h(
      'header',
      {},
      h('h1', {}, 'Tock'),
      h('span', { class: 'zone' }, `Times in ${viewerZone}`),
      statusEl,
      h(
        'button',
        {
          id: 'logout',
          onclick: () => {
            sessionStorage.removeItem(KEY_STORAGE);
            stop();
            showLogin();
          },
        },
        'Log out',
      ),
    ),
    noticeEl,
    h('main', {}, h('section', { id: 'activity' }, h('h2', {}, 'Last hour'), activityErrorEl, chartEl), schedulesEl, jobsEl, monitorsEl, detailEl, alertsEl),
  );

  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let again = false;
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };

  async function act(label: string, f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
      state.notice = null;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return expired();
      state.notice = `${label} failed: ${message(err)}`;
    }
    await refresh();
  }

  function expired(): void {
    stop();
    sessionStorage.removeItem(KEY_STORAGE);
    showLogin('The server no longer accepts this key; log in again.');
  }

  async function load(): Promise<void> {
    const [schedules, jobs, monitors, activity] = await Promise.allSettled([
      api.query<Page<Schedule>>('schedules.list', { pageSize: LIST_SIZE }),
      api.query<Page<Job>>('jobs.list', { pageSize: RECENT_JOBS }),
      api.query<Page<Monitor>>('monitors.list', { pageSize: LIST_SIZE }),
      api.query<Activity>('activity.lastHour'),
    ]);
    const unauthorized = [schedules, monitors].every((r) => r.status === 'rejected' && r.reason instanceof ApiError && r.reason.status === 401);
    if (unauthorized) return expired();
    state.schedules = settled(schedules.status === 'fulfilled' ? { status: 'fulfilled', value: schedules.value.items } : schedules);
    state.jobs = settled(jobs.status === 'fulfilled' ? { status: 'fulfilled', value: jobs.value.items } : jobs);
    state.monitors = settled(monitors.status === 'fulfilled' ? { status: 'fulfilled', value: monitors.value.items } : monitors);
    state.activity = settled(activity);

    const scheduleList = state.schedules.data ?? [];
    const monitorList = state.monitors.data ?? [];
    const recent = await api.queries<Page<Execution>>(scheduleList.map((s) => ({ path: 'schedules.listExecutions', input: { id: s.id, pageSize: RECENT } })));
    state.recent = new Map(scheduleList.map((s, i) => [s.id, recent[i]?.status === 'fulfilled' ? recent[i].value.items : []]));

    const subjects = [
      ...monitorList.map((m) => ({ subjectType: 'monitor' as const, subjectId: m.id })),
      ...scheduleList.map((s) => ({ subjectType: 'schedule' as const, subjectId: s.id })),
    ].slice(0, ALERT_SUBJECTS);
    const alerts = await api.queries<Page<Alert>>(subjects.map((s) => ({ path: 'alerts.list', input: { ...s, pageSize: 10 } })));
    const failed = alerts.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    state.alerts = {
      data: alerts
        .flatMap((r) => (r.status === 'fulfilled' ? r.value.items : []))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, 50),
      error: failed ? message(failed.reason) : null,
    };
    state.refreshedAt = new Date();
  }

  /** One refresh at a time; a refresh asked for while one runs happens right after it. */
  async function refresh(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    if (timer) clearTimeout(timer);
    try {
      await load();
      if (stopped) return;
      render();
      await renderDetail();
    } catch (err) {
      state.notice = `Refresh failed: ${message(err)}`;
      render();
    } finally {
      running = false;
      if (!stopped) {
        if (again) {
          again = false;
          void refresh();
        } else timer = setTimeout(() => void refresh(), REFRESH_MS);
      }
    }
  }

  function render(): void {
    statusEl.textContent = state.refreshedAt ? `updated ${when(state.refreshedAt.toISOString())}` : '';
    mount(noticeEl, state.notice ? h('p', { class: 'error' }, state.notice) : null);
    activityErrorEl.textContent = state.activity.error ?? '';
    if (state.activity.data) chart.update(state.activity.data);
    renderSchedules();
    renderJobs();
    renderMonitors();
    renderAlerts();
  }

  function select(s: Selected): void {
    state.selected = s;
    void renderDetail();
  }

  function renderSchedules(): void {
    const { data, error } = state.schedules;
    const rows = (data ?? []).map((s) => {
      const recent = state.recent.get(s.id) ?? [];
      const last = recent[0];
      return h(
        'tr',
        { 'data-schedule-id': s.id, class: `state-${s.state}` },
        h('td', {}, h('a', { href: '#', onclick: (e: Event) => (e.preventDefault(), select({ kind: 'schedule', id: s.id })) }, s.name), s.key ? h('div', { class: 'muted' }, s.key) : null),
        h('td', { title: s.cron ?? '' }, cadence(s)),
        h('td', {}, h('span', { class: `badge st-${s.state}`, 'data-field': 'state' }, s.state)),
        h('td', { 'data-field': 'next-run' }, s.state === 'paused' ? '—' : when(s.nextRunAt), h('div', { class: 'muted' }, s.state === 'paused' ? '' : relative(s.nextRunAt))),
        h('td', {}, statusBadge(s.lastStatus, 'last-status'), h('div', { class: 'muted' }, relative(s.lastRunAt))),
        h(
          'td',
          { 'data-field': 'last-attempt' },
          last ? [h('span', { class: `badge s-${last.status}` }, last.status), ' ', last.statusCode ?? '', ' · ', when(last.startedAt)] : '—',
        ),
        h('td', { class: 'durations', 'data-field': 'durations' }, recent.length ? recent.map((e) => h('span', { class: `d s-${e.status}`, title: `${e.status} ${when(e.startedAt)}` }, duration(e.durationMs))) : '—'),
        h(
          'td',
          { class: 'actions' },
          s.state === 'active'
            ? h('button', { 'data-action': 'pause', onclick: () => act('Pause', () => api.mutate('schedules.pause', { id: s.id })) }, 'Pause')
            : h('button', { 'data-action': 'resume', onclick: () => act('Resume', () => api.mutate('schedules.resume', { id: s.id })) }, 'Resume'),
          h('button', { 'data-action': 'trigger', onclick: () => act('Trigger', () => api.mutate('schedules.trigger', { id: s.id })) }, 'Run now'),
        ),
      );
    });
    mount(
      schedulesEl,
      h('h2', {}, 'Schedules'),
      error ? h('p', { class: 'error' }, error) : null,
      data && !data.length ? h('p', { class: 'muted' }, 'No schedules yet.') : null,
      data?.length
        ? h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ['Name', 'Runs', 'State', 'Next run', 'Last status', 'Last attempt', 'Recent durations', ''].map((t) => h('th', {}, t)))),
            h('tbody', {}, rows),
          )
        : null,
    );
  }

  function renderJobs(): void {
    const { data, error } = state.jobs;
    const scheduleName = (id: string | null) => (id ? (state.schedules.data?.find((s) => s.id === id)?.name ?? id) : null);
    mount(
      jobsEl,
      h('h2', {}, 'Recent jobs'),
      error ? h('p', { class: 'error' }, error) : null,
      data && !data.length ? h('p', { class: 'muted' }, 'No jobs yet.') : null,
      data?.length
        ? h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ['Job', 'Source', 'Due', 'Status', 'Attempts', 'Last code', ''].map((t) => h('th', {}, t)))),
            h(
              'tbody',
              {},
              data.map((j) =>
                h(
                  'tr',
                  { 'data-job-id': j.id },
                  h('td', {}, j.name ?? scheduleName(j.scheduleId) ?? j.url, h('div', { class: 'muted' }, j.url)),
                  h('td', {}, j.source),
                  h('td', {}, when(j.scheduledAt)),
                  h('td', {}, statusBadge(j.status, 'job-status')),
                  h('td', {}, j.attempts),
                  h('td', {}, j.lastStatusCode ?? j.lastError ?? '—'),
                  h('td', {}, h('button', { 'data-action': 'attempts', onclick: () => select({ kind: 'job', id: j.id, scheduleId: j.scheduleId }) }, 'Attempts')),
                ),
              ),
            ),
          )
        : null,
    );
  }

  function renderMonitors(): void {
    const { data, error } = state.monitors;
    const rows = (data ?? []).map((m) =>
      h(
        'tr',
        { 'data-monitor-id': m.id, class: `monitor m-${m.status}` },
        h('td', {}, h('a', { href: '#', onclick: (e: Event) => (e.preventDefault(), select({ kind: 'monitor', id: m.id })) }, m.name), m.key ? h('div', { class: 'muted' }, m.key) : null),
        h('td', {}, h('span', { class: `badge m-${m.status}`, 'data-field': 'status' }, m.status)),
        h('td', {}, cadence(m), m.graceSeconds ? h('div', { class: 'muted' }, `grace ${m.graceSeconds} s`) : null),
        h('td', { 'data-field': 'last-ping' }, when(m.lastPingAt), h('div', { class: 'muted' }, relative(m.lastPingAt))),
        h('td', {}, m.status === 'paused' ? '—' : when(m.nextDeadlineAt)),
        h('td', {}, m.pingCount),
        h(
          'td',
          { class: 'actions' },
          m.status === 'paused'
            ? h('button', { 'data-action': 'resume', onclick: () => act('Resume', () => api.mutate('monitors.resume', { id: m.id })) }, 'Resume')
            : h('button', { 'data-action': 'pause', onclick: () => act('Pause', () => api.mutate('monitors.pause', { id: m.id })) }, 'Pause'),
        ),
      ),
    );
    mount(
      monitorsEl,
      h('h2', {}, 'Monitors'),
      error ? h('p', { class: 'error' }, error) : null,
      data && !data.length ? h('p', { class: 'muted' }, 'No monitors yet.') : null,
      data?.length
        ? h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ['Name', 'State', 'Expected', 'Last ping', 'Deadline', 'Pings', ''].map((t) => h('th', {}, t)))),
            h('tbody', {}, rows),
          )
        : null,
    );
  }

  function subjectName(type: string, id: string): string {
    if (type === 'monitor') return state.monitors.data?.find((m) => m.id === id)?.name ?? id;
    if (type === 'schedule') return state.schedules.data?.find((s) => s.id === id)?.name ?? id;
    return id;
  }

  function renderAlerts(): void {
    const { data, error } = state.alerts;
    mount(
      alertsEl,
      h('h2', {}, 'Alerts'),
      error ? h('p', { class: 'error' }, error) : null,
      data && !data.length ? h('p', { class: 'muted' }, 'No alerts.') : null,
      data?.length ? alertTable(data, true) : null,
    );
  }

  function alertTable(alerts: Alert[], withSubject: boolean): HTMLElement {
    return h(
      'table',
      { class: 'alerts' },
      h('thead', {}, h('tr', {}, [withSubject ? 'Subject' : null, 'Event', 'Channel', 'Status', 'Created', 'Sent', 'Error'].filter(Boolean).map((t) => h('th', {}, t)))),
      h(
        'tbody',
        {},
        alerts.map((a) =>
          h(
            'tr',
            { 'data-alert-id': a.id },
            withSubject ? h('td', {}, `${a.subjectType} ${subjectName(a.subjectType, a.subjectId)}`) : null,
            h('td', {}, a.event),
            h('td', {}, a.channel, h('div', { class: 'muted' }, a.target)),
            h('td', {}, h('span', { class: `badge a-${a.status}` }, a.status), a.attempts > 1 ? ` (${a.attempts} tries)` : ''),
            h('td', {}, when(a.createdAt)),
            h('td', {}, when(a.sentAt)),
            h('td', {}, a.lastError ?? ''),
          ),
        ),
      ),
    );
  }

  function flipList(flips: Flip[]): Child {
    if (!flips.length) return h('p', { class: 'muted' }, 'No state changes yet.');
    return h(
      'ul',
      { class: 'flips' },
      flips.map((f) => h('li', {}, when(f.at), ': ', f.fromStatus, ' → ', h('strong', {}, f.toStatus), f.reason ? ` (${f.reason})` : '')),
    );
  }

  async function renderDetail(): Promise<void> {
    const sel = state.selected;
    if (!sel) return mount(detailEl);
    const close = h('button', { class: 'close', onclick: () => select(null) }, 'Close');
    try {
      if (sel.kind === 'schedule') {
        const s = state.schedules.data?.find((x) => x.id === sel.id);
        const [jobs, flips, alerts] = await Promise.all([
          api.query<Page<Job>>('jobs.list', { scheduleId: sel.id, pageSize: 20 }),
          api.query<Page<Flip>>('flips.list', { subjectType: 'schedule', subjectId: sel.id, pageSize: 10 }),
          api.query<Page<Alert>>('alerts.list', { subjectType: 'schedule', subjectId: sel.id, pageSize: 10 }),
        ]);
        if (state.selected !== sel) return;
        mount(
          detailEl,
          h('h2', {}, `Schedule ${s?.name ?? sel.id}`, close),
          s ? h('p', { class: 'muted' }, `${s.method} ${s.url} · ${cadence(s)}`) : null,
          h('h3', {}, 'Recent jobs'),
          jobs.items.length
            ? h(
                'table',
                { id: 'schedule-jobs' },
                h('thead', {}, h('tr', {}, ['Due', 'Source', 'Status', 'Attempts', 'Last code', ''].map((t) => h('th', {}, t)))),
                h(
                  'tbody',
                  {},
                  jobs.items.map((j) =>
                    h(
                      'tr',
                      { 'data-job-id': j.id },
                      h('td', {}, when(j.scheduledAt)),
                      h('td', {}, j.source),
                      h('td', {}, statusBadge(j.status, 'job-status')),
                      h('td', {}, j.attempts),
                      h('td', {}, j.lastStatusCode ?? j.lastError ?? '—'),
                      h('td', {}, h('button', { 'data-action': 'attempts', onclick: () => select({ kind: 'job', id: j.id, scheduleId: sel.id }) }, 'Attempts')),
                    ),
                  ),
                ),
              )
            : h('p', { class: 'muted' }, 'No jobs yet.'),
          h('h3', {}, 'State changes'),
          flipList(flips.items),
          h('h3', {}, 'Alerts'),
          alerts.items.length ? alertTable(alerts.items, false) : h('p', { class: 'muted' }, 'No alerts.'),
        );
      } else if (sel.kind === 'job') {
        const [job, attempts] = await Promise.all([
          api.query<Job>('jobs.get', { id: sel.id }),
          api.query<Page<Execution>>('jobs.listExecutions', { id: sel.id, pageSize: 50 }),
        ]);
        if (state.selected !== sel) return;
        const back = sel.scheduleId ? h('button', { onclick: () => select({ kind: 'schedule', id: sel.scheduleId! }) }, 'Back to schedule') : null;
        mount(
          detailEl,
          h('h2', {}, `Job ${job.name ?? job.id}`, back, close),
          h('p', { class: 'muted' }, `${job.url} · due ${when(job.scheduledAt)} · `, statusBadge(job.status, 'job-status')),
          h('h3', {}, 'Attempts'),
          attempts.items.length
            ? h(
                'ol',
                { class: 'attempts', id: 'job-attempts' },
                attempts.items.map((e) =>
                  h(
                    'li',
                    { 'data-execution-id': e.id },
                    h('div', {}, h('strong', {}, `#${e.attempt}`), ' ', statusBadge(e.status, 'attempt-status'), ` ${e.statusCode ?? ''} · ${duration(e.durationMs)} · ${when(e.startedAt)}`),
                    e.error ? h('p', { class: 'error' }, e.error) : null,
                    h('pre', { class: 'body', 'data-field': 'response-body' }, e.responseBody ?? '(no response body)'),
                  ),
                ),
              )
            : h('p', { class: 'muted' }, 'No attempts yet.'),
        );
      } else {
        const m = state.monitors.data?.find((x) => x.id === sel.id);
        const [pings, flips, alerts] = await Promise.all([
          api.query<Page<Ping>>('monitors.listPings', { id: sel.id, pageSize: 50 }),
          api.query<Page<Flip>>('flips.list', { subjectType: 'monitor', subjectId: sel.id, pageSize: 10 }),
          api.query<Page<Alert>>('alerts.list', { subjectType: 'monitor', subjectId: sel.id, pageSize: 10 }),
        ]);
        if (state.selected !== sel) return;
        mount(
          detailEl,
          h('h2', {}, `Monitor ${m?.name ?? sel.id}`, close),
          m ? h('p', { class: 'muted' }, `Ping URL: `, h('code', {}, m.pingUrl)) : null,
          h('h3', {}, 'Ping log'),
          pings.items.length
            ? h(
                'table',
                { id: 'ping-log' },
                h('thead', {}, h('tr', {}, ['Received', 'Kind', 'Exit', 'Duration', 'From', 'Body'].map((t) => h('th', {}, t)))),
                h(
                  'tbody',
                  {},
                  pings.items.map((p) =>
                    h(
                      'tr',
                      { 'data-ping-id': p.id },
                      h('td', {}, when(p.receivedAt)),
                      h('td', {}, h('span', { class: `badge p-${p.kind}` }, p.kind)),
                      h('td', {}, p.exitStatus ?? ''),
                      h('td', {}, p.durationMs === null ? '' : duration(p.durationMs)),
                      h('td', { title: p.userAgent ?? '' }, p.sourceIp ?? ''),
                      h('td', {}, p.body ? h('pre', { class: 'body' }, p.body) : ''),
                    ),
                  ),
                ),
              )
            : h('p', { class: 'muted' }, 'No pings yet.'),
          h('h3', {}, 'State changes'),
          flipList(flips.items),
          h('h3', {}, 'Alerts'),
          alerts.items.length ? alertTable(alerts.items, false) : h('p', { class: 'muted' }, 'No alerts.'),
        );
      }
    } catch (err) {
      if (state.selected === sel) mount(detailEl, h('h2', {}, 'Details', close), h('p', { class: 'error' }, message(err)));
    }
  }

  void refresh();
}

const saved = sessionStorage.getItem(KEY_STORAGE);
if (saved) start(saved);
else showLogin();
