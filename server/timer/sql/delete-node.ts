/** Removes this node's row (shutdown). Params: node id. */
export const DELETE_NODE_SQL = `delete from scheduler_nodes where id = ?`;
