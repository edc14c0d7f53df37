import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failingClientScenarios, SUITE_TIMEOUT_MS } from '../helpers/conformance-client.js';

describe("Gatehouse's client (gatehouse connect) against the official conformance client suite, 2025-11-25", { timeout: SUITE_TIMEOUT_MS }, () => {
  it('passes every scenario the requirements score, and the auth extensions', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const { failing, summary } = await failingClientScenarios('2025-11-25');
    assert.deepEqual(failing, [], summary);
  });
});
