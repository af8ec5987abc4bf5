/** A page of projects after id `$1` (in id order, `$2` at most) with their own retention setting. */
export const LIST_RETENTION_PROJECTS_SQL = `
select id, retention_days from projects
 where id > $1
 order by id
 limit $2`;
