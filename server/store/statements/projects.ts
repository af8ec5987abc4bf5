/** Project resolution's statements (run on a cache miss, see core/projects/service.ts). */
import type { Database } from '../database.js';

const OF_ACCOUNT_SQL = `select id from projects where id = $1 and account_id = $2`;
const FIRST_OF_ACCOUNT_SQL = `select id from projects where account_id = $1 order by id limit 1`;

/** `id` when the project exists and belongs to the account, else null. */
export async function findProjectId(db: Database, accountId: string, id: string): Promise<string | null> {
  const [r] = await db.query<{ id: string }>(OF_ACCOUNT_SQL, [id, accountId], 'tock_project_of_account');
  return r?.id ?? null;
}

/** The account's oldest project (ids sort by creation time), or null. */
export async function firstProjectId(db: Database, accountId: string): Promise<string | null> {
  const [r] = await db.query<{ id: string }>(FIRST_OF_ACCOUNT_SQL, [accountId], 'tock_project_first_of_account');
  return r?.id ?? null;
}
