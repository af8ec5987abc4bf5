/**
 * Hands claimed-but-unsent jobs back: `scheduled` again, the claim's attempt uncounted, no lease
 * epoch, no mark. Only jobs still `running` under the claim's epoch. Params: jobs (jsonb: id, epoch).
 */
export const HAND_BACK_CLAIMS_SQL = `
with input as (select * from jsonb_to_recordset($1::jsonb) as x(id text, epoch bigint))
update jobs j
   set status = 'scheduled', attempts = greatest(j.attempts - 1, 0), lease_epoch = null, dispatched_at = null, updated_at = now()
  from input i
 where j.id = i.id and j.status = 'running' and j.lease_epoch = i.epoch
returning j.id`;
