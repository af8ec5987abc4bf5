import os from 'node:os';
import pg from 'pg';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  postgres: string;
  postgresShort: string;
}

/** CPU, cores, RAM, OS, Node and PostgreSQL versions of the machine the bench runs on. */
export async function machineInfo(adminUrl: string): Promise<MachineInfo> {
  const cpus = os.cpus();
  let postgres = 'unknown';
  let postgresShort = 'unknown';
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
    const r = await client.query<{ version: string; short: string }>(
      `select version() as version, current_setting('server_version') as short`,
    );
    postgres = r.rows[0].version;
    postgresShort = r.rows[0].short;
  } catch (err) {
    postgres = `unreachable (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
    postgresShort,
  };
}

export function machineMarkdown(m: MachineInfo): string {
  return [
    `- CPU: ${m.cpuModel} (${m.cores} cores visible to Node)`,
    `- RAM: ${m.ramGiB} GiB`,
    `- OS: ${m.os}`,
    `- Node: ${m.node}`,
    `- PostgreSQL: ${m.postgres}`,
  ].join('\n');
}
