/** Monitors of every project by status (new, up, down, paused): one row per status present. */
export const COUNT_MONITORS_BY_STATUS_SQL = `select status, count(*)::int as n from monitors group by status`;
