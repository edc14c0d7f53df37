import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from '../../src/store/memory.js';

it('the memory store forgets rate-limit counters whose window has passed (memory follows the active keys)', async () => {
  const store = new MemoryStore();
  const counters = (store as unknown as { counters: Map<string, unknown> }).counters;
  // Five thousand callers, each seen once, in windows of 5 ms: without sweeping, five thousand counters stay.
  for (let batch = 0; batch < 10; batch++) {
    for (let i = 0; i < 500; i++) await store.increment(`caller-${batch}-${i}`, 0.005);
    await sleep(10);
  }
  assert.ok(counters.size <= 1500, `${counters.size} counters kept`);
  assert.equal((await store.increment('caller-0-0', 60)).count, 1, 'an expired counter starts again');
});
