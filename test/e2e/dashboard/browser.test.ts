import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/process.js';
import { startCliWorld, type CliWorld } from '../cli/harness.js';

/**
 * The dashboard as a person uses it: Debian's Chromium, headless, on a real Tock server with
 * its scheduler on, calling a receiver on this machine. Where no Chromium is installed this
 * file says so and skips itself (CI installs it: .ci/run).
 */

/** The Chromium binary: TOCK_CHROMIUM, else the first of Debian's names found on PATH. */
function findChromium(): string | null {
  if (process.env.TOCK_CHROMIUM) return existsSync(process.env.TOCK_CHROMIUM) ? process.env.TOCK_CHROMIUM : null;
  for (const name of ['chromium', 'chromium-browser']) {
    const found = spawnSync('which', [name], { encoding: 'utf8' });
    const path = found.status === 0 ? found.stdout.trim() : '';
    if (path) return path;
  }
  return null;
}

const chromiumPath = findChromium();
if (!chromiumPath) {
  console.warn('test/e2e/dashboard/browser.test.ts: SKIPPED: no Chromium found (apt-get install -y chromium, or set TOCK_CHROMIUM to its path)');
}

const ARTIFACTS = join(repoRoot, 'test-artifacts');

describe.skipIf(!chromiumPath)('the dashboard in headless Chromium', () => {
  let world: CliWorld;
  let receiver: Server;
  let receiverUrl: string;
  let hits = 0;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dashboard', 'dist', 'index.html'))) {
      const built = spawnSync('npm', ['run', 'build:dashboard'], { cwd: repoRoot, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build:dashboard failed:\n${built.stdout}\n${built.stderr}`);
    }
    receiver = createServer((req, res) => {
      hits += 1;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`pong ${hits}`));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    world = await startCliWorld({ scheduler: true, allowLoopback: true });
    profile = await mkdtemp(join(tmpdir(), 'tock-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath!,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1400, height: 1000 },
      // Not the server's zone (UTC): times on the page are the viewer's.
      timezoneId: 'America/New_York',
      locale: 'en-US',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await context?.close();
    await world?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('logs in with a key, shows a schedule firing with its attempts, pauses, triggers and resumes it, and shows a failed monitor as down with its ping log and alert', async () => {
    await page.goto(`${world.url}/`);
    // A wrong key is refused on the login form.
    await page.fill('#api-key', 'tock_not_a_real_key');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error');
    expect(await page.textContent('#login-error')).toContain('not accepted');

    await page.fill('#api-key', world.adminKey);
    await page.click('#login-submit');
    await page.waitForSelector('#schedules >> text=No schedules yet.');
    expect(await page.evaluate("sessionStorage.getItem('tock.apiKey')")).toBe(world.adminKey);

    expect(await page.textContent('header .zone')).toBe('Times in America/New_York');
    const nightly = await world.client.schedules.create({ name: 'nightly', url: receiverUrl, cron: '30 3 * * 1-5', timezone: 'Europe/Paris' });
    await page.waitForSelector(`tr[data-schedule-id="${nightly.id}"]`);
    expect(await page.textContent(`tr[data-schedule-id="${nightly.id}"] td:nth-child(2)`)).toBe('At 03:30, Monday through Friday (Europe/Paris)');
    // Its next run (03:30 in Paris) is shown in New York time: 9:30 PM the evening before (8:30 or 10:30 in the weeks the two switch summer time apart).
    expect(await page.textContent(`tr[data-schedule-id="${nightly.id}"] [data-field="next-run"]`)).toMatch(/\b0?(8|9|10):30:00\sPM/);

    const schedule = await world.client.schedules.create({ name: 'every second', url: receiverUrl, intervalSeconds: 1 });
    const row = `tr[data-schedule-id="${schedule.id}"]`;
    // The dashboard polls: the schedule appears, fires, and its last status and attempt show it.
    await page.waitForSelector(`${row} [data-field="last-status"].s-succeeded`, { timeout: 20_000 });
    await page.waitForSelector(`${row} [data-field="last-attempt"] >> text=200`);
    expect(await page.textContent(`${row} td:nth-child(2)`)).toBe('Every second');
    expect(hits).toBeGreaterThan(0);

    // A job's attempts with the receiver's response body.
    await page.click(`${row} a`);
    await page.click('#schedule-jobs button[data-action="attempts"]');
    await page.waitForSelector('#job-attempts [data-field="response-body"]');
    expect(await page.textContent('#job-attempts [data-field="response-body"]')).toMatch(/^pong \d+$/);

    await page.click(`${row} button[data-action="pause"]`);
    await page.waitForSelector(`${row} [data-field="state"] >> text=paused`);
    expect((await world.client.schedules.get(schedule.id)).state).toBe('paused');

    // Run now on the paused schedule: a manual job, listed in the schedule's jobs.
    await page.click(`${row} button[data-action="trigger"]`);
    await page.click(`${row} a`);
    await page.waitForSelector('#schedule-jobs >> text=manual');
    expect((await world.client.jobs.list({ scheduleId: schedule.id })).items.map((j) => j.source)).toContain('manual');

    await page.click(`${row} button[data-action="resume"]`);
    await page.waitForSelector(`${row} [data-field="state"] >> text=active`);
    expect((await world.client.schedules.get(schedule.id)).state).toBe('active');
    await page.click(`${row} button[data-action="pause"]`);
    await page.waitForSelector(`${row} [data-field="state"] >> text=paused`);

    // A one-time job shows under Recent jobs, with its attempt.
    const once = await world.client.jobs.create({ name: 'one-off export', url: `${receiverUrl}/once` });
    await page.waitForSelector(`#jobs tr[data-job-id="${once.id}"] [data-field="job-status"].s-succeeded`);
    await page.click(`#jobs tr[data-job-id="${once.id}"] button[data-action="attempts"]`);
    await page.waitForSelector('#detail h2 >> text=Job one-off export');
    await page.waitForSelector('#job-attempts [data-field="attempt-status"].s-succeeded');

    // With a webhook channel, going down queues an alert, which the Alerts view lists.
    const monitor = await world.client.monitors.create({ name: 'nightly backup', periodSeconds: 3600, alertWebhook: `${receiverUrl}/alerts` });
    const monitorRow = `tr[data-monitor-id="${monitor.id}"]`;
    await page.waitForSelector(`${monitorRow} [data-field="status"] >> text=new`);
    const ping = await fetch(`${world.url}${new URL(monitor.pingUrl).pathname}/fail`, { method: 'POST', body: 'backup failed: disk full' });
    expect(ping.status).toBe(200);
    await page.waitForSelector(`${monitorRow}.m-down [data-field="status"] >> text=down`);
    expect(await page.textContent(`${monitorRow} [data-field="last-ping"]`)).not.toContain('—');

    await page.waitForSelector('#alerts tr[data-alert-id] >> text=monitor nightly backup');
    expect(await page.textContent('#alerts tr[data-alert-id]')).toContain('webhook');

    // The ping log of the monitor, with the body the failing job sent.
    await page.click(`${monitorRow} a`);
    await page.waitForSelector('#ping-log >> text=backup failed: disk full');

    // The chart of the last hour is drawn from the same API the page uses.
    await page.waitForSelector('#activity-chart canvas');
    const activity = await fetch(`${world.url}/trpc/activity.lastHour`, { headers: { authorization: `Bearer ${world.adminKey}` } });
    const minutes = ((await activity.json()) as { result: { data: { minutes: { executions: number }[] } } }).result.data.minutes;
    expect(minutes).toHaveLength(60);
    expect(minutes.reduce((n, m) => n + m.executions, 0)).toBeGreaterThan(0);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
