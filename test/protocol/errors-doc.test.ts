import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ErrorCode, WebSocketError } from '../../src/protocol/index.js';

/** The rows of the WebSocket error table in docs/errors.md, keyed by code. */
function documentedRows(): Map<string, { constant: string; outcome: string }> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('## WebSocket error codes'));
  const rows = new Map<string, { constant: string; outcome: string }>();
  for (const line of section.split('\n')) {
    const match = /^\| `(ERR_[A-Z0-9_]+)` \| `(\w+)` \| .+ \| (.+) \|$/.exec(line);
    if (!match) continue;
    assert.equal(rows.has(match[1]!), false, `${match[1]} is documented twice`);
    rows.set(match[1]!, { constant: match[2]!, outcome: match[3]! });
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = documentedRows();

  test('documents every ErrorCode, under its constant name', () => {
    for (const [constant, code] of Object.entries(ErrorCode)) {
      const row = rows.get(code);
      assert.ok(row, `${code} is missing from docs/errors.md`);
      assert.equal(row.constant, constant, `${code} is ErrorCode.${constant}`);
    }
  });

  test('documents no code that does not exist', () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    for (const code of rows.keys()) assert.ok(codes.has(code), `${code} is documented but not an ErrorCode`);
  });

  test('the close code or HTTP status documented is the one the error carries', () => {
    for (const [code, { outcome }] of rows) {
      const error = new WebSocketError(code as ErrorCode, 'test');
      const closeCode = /^(\d{4})\b/.exec(outcome);
      if (closeCode) assert.equal(error.closeCode, Number(closeCode[1]), `close code of ${code}`);
      const status = /^HTTP (\d{3})\b/.exec(outcome) ?? /; HTTP (\d{3})\b/.exec(outcome);
      if (status) assert.equal(error.status, Number(status[1]), `HTTP status of ${code}`);
      assert.ok(
        closeCode || status || /^(none|The rejection)/.test(outcome),
        `${code}: "${outcome}" names neither a close code nor a status`,
      );
    }
  });
});
