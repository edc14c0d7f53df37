import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readableLine } from '../../src/util/log-lines.js';

const AT = new Date(2026, 11, 6, 9, 5, 7, 42).getTime();
const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 30, time: AT, pid: 7, hostname: 'h', service: 'gatehouse', ...fields });

describe('readable log lines (a terminal)', () => {
  it('shows a request as method, path, status and time, then the other fields', () => {
    const text = readableLine(line({ method: 'POST', path: '/mcp', status: 401, durationMs: 3.2, ip: '127.0.0.1', outcome: 'invalid_token', msg: 'request' }));
    assert.equal(text, '09:05:07.042 INFO  POST /mcp 401 3.2 ms ip=127.0.0.1 outcome=invalid_token\n');
  });

  it('quotes values with spaces, and escapes control characters so one entry stays one line', () => {
    const text = readableLine(line({ level: 40, msg: 'upstream unavailable', reason: 'no answer\nFAKE ENTRY', source: 'github', n: 3 }));
    assert.equal(text, '09:05:07.042 WARN  upstream unavailable reason="no answer\\nFAKE ENTRY" source=github n=3\n');
  });

  it('puts an error message in the line and its stack indented below it', () => {
    const text = readableLine(line({ level: 50, msg: 'unhandled error', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)' } }));
    assert.equal(text, '09:05:07.042 ERROR unhandled error err=boom\n    Error: boom\n        at f (x.js:1:1)\n');
  });

  it('writes objects as JSON and colours the level only when asked', () => {
    const text = readableLine(line({ msg: 'audit login.succeeded', audit: { type: 'login.succeeded', subject: 'u1' } }), { colours: true });
    assert.equal(text, '09:05:07.042 \x1b[32mINFO \x1b[0m audit login.succeeded audit={"type":"login.succeeded","subject":"u1"}\n');
  });

  it('passes on a line that is not JSON as it is', () => {
    assert.equal(readableLine('not json'), 'not json\n');
  });
});
