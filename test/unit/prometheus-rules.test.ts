import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** docs/prometheus-rules.yml is a rule file Prometheus can load: groups of named rules with an expression each. */

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('the starter Prometheus rules', () => {
  it('parse as a rule file whose every rule has a unique name, an expression on Tock metrics, a severity and a summary', async () => {
    const doc = parse(await readFile(new URL('../../docs/prometheus-rules.yml', import.meta.url), 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(5);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const r of rules) {
      expect(r.alert).toMatch(/^Tock[A-Za-z]+$/);
      expect(r.expr).toMatch(/\b(tock_[a-z_]+|up)\b/);
      expect(r.for ?? '1m').toMatch(/^\d+[smh]$/);
      expect(['page', 'warn', 'info']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
    }
  });
});
