import { describe, expect, it } from 'vitest';
import { boundedMessage, echo, InvalidArgumentError, NotFoundError } from '../../../server/core/errors.js';
import { parse } from '../../../server/core/validation.js';
import { scheduleInput } from '../../../server/core/schedules/service.js';

describe('values quoted in messages', () => {
  it('are kept whole up to 200 characters and cut past that, marked as cut', () => {
    expect(echo('x'.repeat(200))).toBe('x'.repeat(200));
    expect(echo('x'.repeat(201))).toBe('x'.repeat(200) + '…(truncated)');
    expect(new NotFoundError('job', 'job_' + 'a'.repeat(150_000)).message).toBe(`No job with id 'job_${'a'.repeat(196)}…(truncated)'`);
  });

  it('never cut a surrogate pair in half', () => {
    const cut = echo('x'.repeat(199) + '😀' + 'y');
    expect(cut).toBe('x'.repeat(199) + '…(truncated)');
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('bound the field path an error names, and a whole message to 1,000 characters', () => {
    expect(new InvalidArgumentError('m', 'headers.' + 'h'.repeat(10_000)).field).toHaveLength(200 + '…(truncated)'.length);
    expect(boundedMessage('m'.repeat(5_000))).toHaveLength(1_000 + '…(truncated)'.length);
  });

  it('list at most five unknown fields, each bounded', () => {
    const input: Record<string, unknown> = { url: 'https://example.com/', cron: '* * * * *' };
    for (let i = 0; i < 8; i++) input[`extra${i}${'z'.repeat(300)}`] = 1;
    let err: unknown;
    try {
      parse(scheduleInput, input);
    } catch (e) {
      err = e;
    }
    const message = (err as Error).message;
    expect(message).toMatch(/^Unknown fields: extra0z+…\(truncated\), extra1/);
    expect(message).toMatch(/ and 3 more$/);
    expect(message.length).toBeLessThan(1_200);
  });
});
