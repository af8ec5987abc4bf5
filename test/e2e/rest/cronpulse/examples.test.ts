import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_TIME, send, startServer, type CronPulseServer } from './server.js';

/**
 * Every example request of the CronPulse API document, replayed as written with the base URL
 * (`https://app.cronpulse.live/api/v1`) and the key (`cpk_your_api_key`) swapped for this
 * server's, against a real listening server; each answer is checked field by field against the
 * documented example, ids and times by shape. The server runs without the timer, so the
 * document's example.com targets are stored as written and never called (behaviour.test.ts runs
 * jobs against loopback receivers).
 */
let server: CronPulseServer;
let base: string;
let key: string;

const ID = expect.stringMatching(/^[a-z]+_[0-9a-z]{26}$/);
const TIME = expect.stringMatching(DOCUMENT_TIME);

/** What the timer records when a job's run succeeded (the run itself is behaviour.test.ts's). */
async function recordSuccessfulRun(jobId: string, at: Date): Promise<void> {
  await server.database.db.execute(`update schedules set last_status = 'succeeded', last_run_at = ? where id = ?`, [at, jobId]);
}

beforeAll(async () => {
  server = await startServer({ scheduler: false });
  base = server.base;
  key = server.key;
});
afterAll(() => server?.close());

describe('Authentication', () => {
  it('curl -H "X-API-Key: cpk_your_api_key_here" /projects lists the projects of the key', async () => {
    const res = await send('GET', `${base}/projects`, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    // The first start's account comes with its default project.
    expect(res.body).toEqual([{ id: ID, name: 'Default', url: null, jobs: [] }]);
  });
});

describe('Projects', () => {
  it('POST /projects {"name": "New Project", "url": "https://example.com"} creates it', async () => {
    const res = await send('POST', `${base}/projects`, { key, body: { name: 'New Project', url: 'https://example.com' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: ID, name: 'New Project', url: 'https://example.com', jobs: [] });
  });

  it('GET /projects answers as the List Projects example: each project with its jobs’ id, name and lastStatus', async () => {
    const project = (await send('POST', `${base}/projects`, { key, body: { name: 'My Project', url: 'https://example.com' } })).body;
    const job = (
      await send('POST', `${base}/jobs`, {
        key,
        body: { name: 'Daily Backup', projectId: project.id, url: 'https://example.com/backup', method: 'POST', schedule: '0 3 * * *' },
      })
    ).body;
    await recordSuccessfulRun(job.id, new Date());

    const res = await send('GET', `${base}/projects`, { key });
    expect(res.status).toBe(200);
    expect(res.body.find((p: { id: string }) => p.id === project.id)).toEqual({
      id: ID,
      name: 'My Project',
      url: 'https://example.com',
      jobs: [{ id: ID, name: 'Daily Backup', lastStatus: 'success' }],
    });
  });

  it('PUT /projects/{id} changes the fields given and answers the project; with no body it changes nothing', async () => {
    const project = (await send('POST', `${base}/projects`, { key, body: { name: 'Old name', url: 'https://example.com' } })).body;
    const bare = await send('PUT', `${base}/projects/${project.id}`, { key });
    expect(bare.status).toBe(200);
    expect(bare.body).toEqual(project);
    const res = await send('PUT', `${base}/projects/${project.id}`, { key, body: { name: 'New name' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: project.id, name: 'New name', url: 'https://example.com', jobs: [] });
  });

  it('DELETE /projects/{id} deletes it with all associated jobs and their data', async () => {
    const project = (await send('POST', `${base}/projects`, { key, body: { name: 'Doomed', url: 'https://example.com' } })).body;
    const job = (
      await send('POST', `${base}/jobs`, {
        key,
        body: { name: 'Health Check', projectId: project.id, url: 'https://example.com/health', method: 'GET', schedule: '*/5 * * * *' },
      })
    ).body;
    const res = await send('DELETE', `${base}/projects/${project.id}`, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect((await send('GET', `${base}/jobs/${job.id}`, { key })).status).toBe(404);
    const gone = await send('GET', `${base}/jobs?projectId=${project.id}`, { key });
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: `No project with id '${project.id}'` });
  });
});

describe('Jobs', () => {
  let projectId: string;
  beforeAll(async () => {
    projectId = (await send('POST', `${base}/projects`, { key, body: { name: 'Jobs', url: 'https://example.com' } })).body.id;
  });

  const createExample = () => ({
    name: 'Health Check',
    projectId,
    url: 'https://example.com/health',
    method: 'GET',
    schedule: '*/5 * * * *',
    heartbeat: true,
    heartbeatTolerance: 5,
    timeout: 30,
    expectedStatusCode: 200,
    headers: { Authorization: 'Bearer token' },
  });

  /** The Create Job example's job as Tock answers it, before any run. */
  const createdExample = () => ({
    id: ID,
    ...createExample(),
    body: null,
    lastStatus: null,
    lastActivityAt: null,
    nextRunAt: TIME,
    heartbeatUrl: expect.stringMatching(/\/ping\/[0-9A-Za-z]{24}$/),
  });

  it('POST /jobs with the Create Job example body creates it', async () => {
    const res = await send('POST', `${base}/jobs`, { key, body: createExample() });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(createdExample());
    // `*/5 * * * *` in UTC: the next run is on a five-minute boundary, within five minutes.
    const next = new Date(res.body.nextRunAt);
    expect(next.getUTCMinutes() % 5).toBe(0);
    expect(next.getUTCSeconds()).toBe(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000);
  });

  it('GET /jobs?projectId={projectId} answers as the List Jobs example', async () => {
    const listed = (await send('POST', `${base}/projects`, { key, body: { name: 'Listed', url: 'https://example.com' } })).body.id;
    const { headers: _h, ...withoutHeaders } = { ...createExample(), projectId: listed };
    const job = (await send('POST', `${base}/jobs`, { key, body: withoutHeaders })).body;
    await recordSuccessfulRun(job.id, new Date());

    const res = await send('GET', `${base}/jobs?projectId=${listed}`, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        id: ID,
        name: 'Health Check',
        projectId: listed,
        url: 'https://example.com/health',
        method: 'GET',
        schedule: '*/5 * * * *',
        heartbeat: true,
        heartbeatTolerance: 5,
        timeout: 30,
        expectedStatusCode: 200,
        headers: {},
        body: null,
        lastStatus: 'success',
        lastActivityAt: TIME,
        nextRunAt: TIME,
        heartbeatUrl: expect.stringMatching(/\/ping\/[0-9A-Za-z]{24}$/),
      },
    ]);
  });

  it('GET /jobs/{id} answers the job', async () => {
    const created = (await send('POST', `${base}/jobs`, { key, body: createExample() })).body;
    const res = await send('GET', `${base}/jobs/${created.id}`, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
    expect(res.body).toEqual(createdExample());
  });

  it('PUT /jobs/{id} with the Update Job example body changes only the fields given', async () => {
    const created = (await send('POST', `${base}/jobs`, { key, body: createExample() })).body;
    const res = await send('PUT', `${base}/jobs/${created.id}`, {
      key,
      body: { name: 'Updated Job Name', url: 'https://example.com/new-endpoint', schedule: '0 * * * *', heartbeat: false, timeout: 60 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...createdExample(),
      id: created.id,
      name: 'Updated Job Name',
      url: 'https://example.com/new-endpoint',
      schedule: '0 * * * *',
      heartbeat: false,
      heartbeatTolerance: null,
      heartbeatUrl: null,
      timeout: 60,
    });
    expect(new Date(res.body.nextRunAt).getUTCMinutes()).toBe(0);
  });

  it('DELETE /jobs/{id} deletes the job', async () => {
    const created = (await send('POST', `${base}/jobs`, { key, body: createExample() })).body;
    const res = await send('DELETE', `${base}/jobs/${created.id}`, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    const gone = await send('GET', `${base}/jobs/${created.id}`, { key });
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: `No job with id '${created.id}'` });
  });
});

describe('Complete Workflow Example', () => {
  it('creates a project, creates a heartbeat job in it, and monitors the job', async () => {
    // 1. Create a project
    const project = await send('POST', `${base}/projects`, { key, body: { name: 'My API Project', url: 'https://example.com' } });
    expect(project.status).toBe(201);
    const PROJECT_ID = project.body.id;
    expect(PROJECT_ID).toEqual(ID);
    // 2. Create a job (the body exactly as the shell builds it)
    const job = await send('POST', `${base}/jobs`, {
      key,
      body: `{
"name": "Health Check",
"projectId": "${PROJECT_ID}",
"url": "https://example.com/health",
"method": "GET",
"schedule": "*/5 * * * *",
"heartbeat": true
}`,
    });
    expect(job.status).toBe(201);
    const JOB_ID = job.body.id;
    // 3. Monitor the job
    const res = await send('GET', `${base}/jobs/${JOB_ID}`, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: JOB_ID,
      name: 'Health Check',
      projectId: PROJECT_ID,
      url: 'https://example.com/health',
      method: 'GET',
      schedule: '*/5 * * * *',
      heartbeat: true,
      heartbeatTolerance: 5,
      timeout: 30,
      expectedStatusCode: null,
      headers: {},
      body: null,
      lastStatus: null,
      lastActivityAt: null,
      nextRunAt: TIME,
      heartbeatUrl: expect.stringMatching(/\/ping\/[0-9A-Za-z]{24}$/),
    });
  });
});

describe('Error Handling', () => {
  it('answers every error as {"error": "message"}: 400, 401, 403, 404', async () => {
    const { secret: readOnly } = await server.tock.core.keys.create(await server.tock.core.authenticate(key), { name: 'read', scopes: ['read:projects', 'read:jobs'] });
    const answers = [
      [400, await send('POST', `${base}/projects`, { key, body: { url: 'https://example.com' } })],
      [401, await send('GET', `${base}/projects`, { key: null })],
      [401, await send('GET', `${base}/projects`, { key: 'cpk_your_api_key_here' })],
      [403, await send('POST', `${base}/projects`, { key: readOnly, body: { name: 'x' } })],
      [404, await send('GET', `${base}/jobs/sched_00000000000000000000000000`, { key })],
    ] as const;
    for (const [status, res] of answers) {
      expect(res.status).toBe(status);
      expect(Object.keys(res.body)).toEqual(['error']);
      expect(res.body.error).toEqual(expect.any(String));
      expect(res.body.error.length).toBeGreaterThan(5);
    }
    expect(answers[0][1].body.error).toBe('name: is required');
    expect(answers[3][1].body.error).toBe("This key lacks the 'write:projects' scope");
  });
});
