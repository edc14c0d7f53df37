import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCaller } from '../../src/index.js';

describe('getCaller() without callerContext', () => {
  // Test files run in processes of their own: no server in this one has turned the caller context on.
  it('throws an error that names the option to set, rather than answer undefined as if no one were calling', () => {
    assert.throws(() => getCaller(), /callerContext: true/);
  });
});
