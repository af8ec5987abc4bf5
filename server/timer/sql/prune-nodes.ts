/** Deletes the rows of nodes silent for longer than `?` ms (a paused node re-registers by its heartbeat). */
export const PRUNE_NODES_SQL = `delete from scheduler_nodes where heartbeat_at < now() - ?::int * interval '1 millisecond'`;
