import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { Database } from '../../server/store/database.js';
import { adminQuery, serverAnswers, testDatabaseUrl, withDatabase } from './pg.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** 'postgres': files clone `template` on the server at `serverUrl`; 'pglite': each file runs its own in-memory PGlite. */
    dbMode: 'postgres' | 'pglite';
    serverUrl: string;
    template: string;
    runId: string;
  }
}

/**
 * Once per run: migrate a template database, so each test file gets its own database with
 * `CREATE DATABASE ... TEMPLATE` in milliseconds. Without a PostgreSQL server, files fall back
 * to PGlite. Names carry a run id so concurrent runs on one server do not collide.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = testDatabaseUrl();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  if (!(await serverAnswers(serverUrl))) {
    console.warn(`[tock tests] no PostgreSQL at ${serverUrl}: every test file runs on its own in-memory PGlite`);
    project.provide('dbMode', 'pglite');
    project.provide('serverUrl', '');
    project.provide('template', '');
    project.provide('runId', runId);
    return async () => {};
  }
  const template = `tock_tpl_${runId}`;
  await adminQuery(serverUrl, `create database ${template}`);
  const db = await Database.connect({ url: withDatabase(serverUrl, template), poolSize: 2 });
  try {
    await db.migrate();
  } finally {
    await db.close();
  }
  project.provide('dbMode', 'postgres');
  project.provide('serverUrl', serverUrl);
  project.provide('template', template);
  project.provide('runId', runId);
  return async () => {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(
        `select datname from pg_database where datname like 'tock\\_%' and datname like $1`,
        [`%${runId}%`],
      );
      for (const { datname } of rows) await client.query(`drop database if exists ${datname} with (force)`);
    } finally {
      await client.end();
    }
  };
}
