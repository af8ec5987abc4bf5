/**
 * Deletes at most `$4` pings of the monitors of project `$1` received before `$3`. Ping ids sort
 * by creation time, so `id < $2` (the smallest id of the cutoff's millisecond) bounds each
 * monitor's range of `pings_monitor_idx` to its old pings; `received_at` decides. Returns how
 * many it deleted.
 */
export const DELETE_OLD_PINGS_SQL = `
with deleted as (
delete from pings
 where id = any(array(
   select p.id from monitors m
    cross join lateral (
      select id from pings
       where monitor_id = m.id and id < $2 and received_at < $3::timestamptz
       order by id
       limit $4) p
    where m.project_id = $1
    limit $4))
returning 1)
select count(*)::int as n from deleted`;
