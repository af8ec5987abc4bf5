import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000000_initial } from './Migration20261123000000_initial.js';
import { Migration20261123120000_job_dispatched_at } from './Migration20261123120000_job_dispatched_at.js';
import { Migration20261127000000_hot_path_indexes } from './Migration20261127000000_hot_path_indexes.js';
import { Migration20261127180000_unfinished_runs } from './Migration20261127180000_unfinished_runs.js';
import { Migration20261201000000_monitor_alerts } from './Migration20261201000000_monitor_alerts.js';
import { Migration20261201150300_executions_by_project_day } from './Migration20261201150300_executions_by_project_day.js';
import { Migration20261201417700_job_names } from './Migration20261201417700_job_names.js';
import { Migration20261201428100_project_url_heartbeats } from './Migration20261201428100_project_url_heartbeats.js';
import { Migration20261201900000_retention } from './Migration20261201900000_retention.js';

/** Every migration, in order. Append new ones; never edit or reorder landed ones. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261123000000_initial', class: Migration20261123000000_initial },
  { name: 'Migration20261123120000_job_dispatched_at', class: Migration20261123120000_job_dispatched_at },
  { name: 'Migration20261127000000_hot_path_indexes', class: Migration20261127000000_hot_path_indexes },
  { name: 'Migration20261127180000_unfinished_runs', class: Migration20261127180000_unfinished_runs },
  { name: 'Migration20261201000000_monitor_alerts', class: Migration20261201000000_monitor_alerts },
  { name: 'Migration20261201150300_executions_by_project_day', class: Migration20261201150300_executions_by_project_day },
  { name: 'Migration20261201417700_job_names', class: Migration20261201417700_job_names },
  { name: 'Migration20261201428100_project_url_heartbeats', class: Migration20261201428100_project_url_heartbeats },
  { name: 'Migration20261201900000_retention', class: Migration20261201900000_retention },
];
