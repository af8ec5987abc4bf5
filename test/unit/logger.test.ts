import { CheckConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { createLogger, serializeError } from '../../server/logger.js';

/** A pg DatabaseError as the driver makes it, then wrapped as knex and MikroORM wrap it. */
function wrapped(pgMessage: string, fields: Record<string, string>, sql: string, Wrapper = CheckConstraintViolationException) {
  const pg = Object.assign(new Error(pgMessage), { severity: 'ERROR', ...fields });
  pg.message = `${sql} - ${pgMessage}`;
  if (fields.detail) pg.message += `\n - detail: ${fields.detail}`;
  return new Wrapper(pg);
}

describe('the err serializer', () => {
  it('logs a database error by its type, SQLSTATE, message and identifiers, without the statement or the row', () => {
    const err = wrapped(
      'new row for relation "jobs" violates check constraint "jobs_ok"',
      { code: '23514', table: 'jobs', constraint: 'jobs_ok', routine: 'ExecConstraints', detail: 'Failing row contains (job_1, {"authorization": "Bearer s3cret"}).' },
      `insert into "jobs" ("id", "headers") values ('job_1', '{"authorization":"Bearer s3cret - x"}')`,
    );
    const out = serializeError(err) as Record<string, unknown>;
    expect(out).toMatchObject({
      type: 'CheckConstraintViolationException',
      code: '23514',
      table: 'jobs',
      constraint: 'jobs_ok',
      routine: 'ExecConstraints',
      message: 'new row for relation "jobs" violates check constraint "jobs_ok"',
    });
    expect(JSON.stringify(out)).not.toContain('s3cret');
  });

  it('replaces values PostgreSQL quotes in its own message, even ones holding " - "', () => {
    const err = wrapped('invalid input syntax for type integer: "12 - hunter2"', { code: '22P02', routine: 'pg_strtoint32_safe' }, `select '12 - hunter2'::int`, UniqueConstraintViolationException);
    const out = serializeError(err) as Record<string, unknown>;
    expect(out.message).toBe('invalid input syntax for type integer: "…"');
    expect(JSON.stringify(out)).not.toContain('hunter2');
  });

  it('gives only the SQLSTATE when no part of the message can be told from the statement, and hides a value with quotes in it', () => {
    const err = wrapped(`invalid input syntax for type json: "it's"`, { code: '22P02' }, `update t set v = 'it''s'`);
    expect((serializeError(err) as Record<string, unknown>).message).toBe('SQLSTATE 22P02');
    const unescaped = wrapped('invalid input syntax for type json: "a"b"c"', { code: '22P02' }, `update t set v = 'a"b"c'`);
    expect((serializeError(unescaped) as Record<string, unknown>).message).toBe('invalid input syntax for type json: "…"');
  });

  it('logs a pg error that was not wrapped the same way, and an error caused by a database error', () => {
    const pg = Object.assign(new Error('duplicate key value violates unique constraint "k_uq"'), {
      code: '23505',
      severity: 'ERROR',
      constraint: 'k_uq',
      detail: 'Key (key)=(secret-key) already exists.',
    });
    expect(JSON.stringify(serializeError(pg))).not.toContain('secret-key');
    const outer = new Error('claim failed', { cause: pg });
    const out = serializeError(outer) as { message: string; cause: Record<string, unknown> };
    expect(out.message).toBe('claim failed');
    expect(out.cause).toMatchObject({ code: '23505', constraint: 'k_uq', message: 'duplicate key value violates unique constraint "k_uq"' });
    expect(JSON.stringify(out)).not.toContain('secret-key');
  });

  it('leaves other errors to pino’s own serializer, and is the logger’s err serializer', () => {
    const plain = Object.assign(new TypeError('boom'), { code: 'ERR_X', extra: 1 });
    expect(serializeError(plain)).toMatchObject({ type: 'TypeError', message: 'boom', code: 'ERR_X', extra: 1 });
    const lines: string[] = [];
    createLogger('info', {}, { write: (l: string) => void lines.push(l) }).error({ err: wrapped('x', { code: '23514' }, `insert 'leak'`) }, 'failed');
    expect(lines[0]).not.toContain('leak');
    expect(JSON.parse(lines[0]).err.code).toBe('23514');
  });
});
