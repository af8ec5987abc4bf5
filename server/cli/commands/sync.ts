import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { SyncDocument, SyncKindName, SyncKindReport, SyncKeyed, SyncPlan, SyncResult } from '../../../client/src/index.js';
import { connect, projectOptions, type ConnectionFlags } from '../connection.js';
import { CommandFailed } from '../errors.js';
import { cut, type Output } from '../output.js';
import { formatCount, progress } from '../progress.js';

/**
 * `tock sync <file>`: makes the project's schedules, monitors and one-time jobs what a
 * tock.json / tock.yaml says, through the server's sync engine (`sync.plan` for `--dry-run`,
 * `sync.run` otherwise). The file is the engine's input as it is; its JSON Schema is
 * docs/tock-sync.schema.json.
 */

interface SyncFlags extends ConnectionFlags {
  dryRun?: boolean;
  prune?: boolean;
  json?: boolean;
}

const KINDS: readonly SyncKindName[] = ['schedules', 'monitors', 'jobs'];
/** A changed value longer than this (a request body) is cut in the printed plan. */
const MAX_VALUE = 120;

/** The sync document in `path` (`-`: stdin): JSON for `.json`, YAML (a superset of JSON) otherwise. */
export async function readSyncFile(path: string): Promise<SyncDocument> {
  let source: string;
  try {
    source = path === '-' ? await text(process.stdin) : await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandFailed(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = path.toLowerCase().endsWith('.json') ? JSON.parse(source) : parseYaml(source, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const what = err instanceof YAMLParseError ? 'YAML' : 'JSON';
    // YAML's message ends with the lines around the error (a code frame): kept, they show where.
    throw new CommandFailed(`${path} is not valid ${what}: ${(err as Error).message.trimEnd()}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CommandFailed(`${path}: expected a mapping with schedules, monitors and/or jobs at the top (see docs/tock-sync.schema.json)`);
  }
  return doc as SyncDocument;
}

/** Entries of the document, for the progress line. */
const entriesOf = (doc: SyncDocument) => KINDS.reduce((n, k) => n + (doc[k]?.length ?? 0), 0);

const json = (v: unknown) => cut(JSON.stringify(v) ?? 'null', MAX_VALUE);

/**
 * The plan or the report for people: per kind the document names (or that lost objects), a
 * count line, then `+` created, `~` updated with each field `from -> to`, `-` deleted.
 * Unchanged objects are counted, not listed.
 */
export function describeSync(doc: SyncDocument, report: SyncPlan | SyncResult, dryRun: boolean): string {
  const lines: string[] = [];
  let changes = 0;
  for (const kind of KINDS) {
    const r: SyncKindReport<SyncKeyed> = report[kind];
    if (doc[kind] === undefined && r.deleted.length === 0) continue;
    const verbs = dryRun ? ['to create', 'to update', 'to delete'] : ['created', 'updated', 'deleted'];
    lines.push(
      `${kind}: ${r.created.length} ${verbs[0]}, ${r.updated.length} ${verbs[1]}, ${r.deleted.length} ${verbs[2]}, ${r.unchanged.length} unchanged`,
    );
    for (const c of r.created) lines.push(`  + ${c.key}${'id' in c ? ` (${String(c.id)})` : ''}`);
    for (const u of r.updated) {
      lines.push(`  ~ ${u.key} (${u.id})`);
      for (const [field, { from, to }] of Object.entries(u.changes)) lines.push(`      ${field}: ${json(from)} -> ${json(to)}`);
    }
    for (const d of r.deleted) lines.push(`  - ${d.key} (${d.id})`);
    changes += r.created.length + r.updated.length + r.deleted.length;
  }
  if (lines.length === 0) lines.push('the file names no schedules, monitors or jobs: nothing to do');
  else if (changes === 0) lines.push('no changes: the project already matches the file');
  else if (dryRun) lines.push(`dry run: nothing was changed (${changes} change${changes === 1 ? '' : 's'} planned; run without --dry-run to apply)`);
  return lines.join('\n');
}

export function syncCommand(program: Command, out: Output): void {
  projectOptions(
    program
      .command('sync <file>')
      .description('make the schedules, monitors and one-time jobs of the project what a tock.json / tock.yaml says (- reads stdin)')
      .option('--dry-run', 'print what would change (created, updated with from -> to, deleted, unchanged) and change nothing')
      .option('--prune', 'also delete keyed schedules and monitors the file no longer names (one-time jobs are never deleted)')
      .option('--json', 'print the plan or the result as JSON')
      .addHelpText(
        'after',
        `
The file is the server's sync input: { "schedules": [...], "monitors": [...], "jobs": [...] }.
Schedules and monitors are matched by "key", one-time jobs by "idempotencyKey"; a kind left out
of the file is not touched. Its JSON Schema is docs/tock-sync.schema.json: point "$schema" at it
(YAML: a "# yaml-language-server: $schema=..." comment) and editors complete the fields.
Nothing is written unless every entry is valid; running the same file again changes nothing.`,
      ),
  ).action(async (file: string, flags: SyncFlags) => {
    const doc = await readSyncFile(file);
    const client = connect(flags);
    const bar = progress(process.stderr, 'sync');
    try {
      if (flags.dryRun) {
        bar.phase(`planning ${formatCount(entriesOf(doc))} entries`);
        const plan = await client.sync.plan(doc, { prune: flags.prune });
        bar.end();
        if (flags.json) out.json(plan);
        else out.result(describeSync(doc, plan, true));
        return;
      }
      bar.phase(`checking ${formatCount(entriesOf(doc))} entries`);
      const result = await client.sync.apply(doc, { prune: flags.prune, onProgress: (p) => bar.update(p.done, p.total) });
      bar.end();
      if (flags.json) out.json(result);
      else out.result(describeSync(doc, result, false));
    } finally {
      bar.end();
    }
  });
}
