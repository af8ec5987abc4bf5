/**
 * Deletes at most `$3` sent alerts (delivered or failed) of project `$1` created before `$2`, by
 * `alerts_project_done_idx`. Pending alerts are never matched: a sent alert never becomes
 * pending again, so the status condition cannot race a delivery. Returns how many it deleted.
 */
export const DELETE_OLD_ALERTS_SQL = `
with deleted as (
delete from alerts
 where id = any(array(
   select id from alerts
    where project_id = $1 and status in ('delivered', 'failed') and created_at < $2::timestamptz
    order by created_at
    limit $3))
returning 1)
select count(*)::int as n from deleted`;
