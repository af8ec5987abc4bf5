import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Admin connection for creating and dropping bench databases. */
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function adminUrl(): string {
  return process.env.BENCH_PG_URL ?? DEFAULT_ADMIN_URL;
}

export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** `create database bench_<name>_<rand>` on the admin server; `drop()` removes it (forcing off stragglers). */
export async function createFreshDatabase(label: string, admin: string = adminUrl()): Promise<FreshDatabase> {
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  const name = `bench_${safe}_${randomBytes(4).toString('hex')}`;
  await withAdmin(admin, (c) => c.query(`create database "${name}"`));
  const u = new URL(admin);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: u.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(admin, (c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/** Drops every `bench_%` database (left behind by an interrupted run). Only for `--drop-stale`. */
export async function dropStaleBenchDatabases(admin: string = adminUrl()): Promise<string[]> {
  return withAdmin(admin, async (c) => {
    const r = await c.query<{ datname: string }>(`select datname from pg_database where datname like 'bench\\_%'`);
    for (const { datname } of r.rows) await c.query(`drop database if exists "${datname}" with (force)`);
    return r.rows.map((x) => x.datname);
  });
}
