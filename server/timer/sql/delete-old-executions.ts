/**
 * Deletes at most `$3` executions of project `$1` that started before `$2`: the oldest few by
 * `executions_project_started_idx`, then those rows by primary key, in one short statement.
 * Returns how many it deleted.
 */
export const DELETE_OLD_EXECUTIONS_SQL = `
with deleted as (
delete from executions
 where id = any(array(
   select id from executions
    where project_id = $1 and started_at < $2::timestamptz
    order by started_at
    limit $3))
returning 1)
select count(*)::int as n from deleted`;
