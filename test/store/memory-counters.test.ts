import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MemoryStore } from '../../src/store/memory.js';

it('the memory store forgets rate-limit counters whose window has passed (memory follows the active keys)', async () => {
  const store = new MemoryStore();
  for (let i = 0; i < 1500; i++) await store.increment(`caller-${i}`, 0.05);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal((await store.increment('caller-new', 60)).count, 1);
  const counters = (store as unknown as { counters: Map<string, unknown> }).counters;
  assert.equal(counters.size, 1, 'only the live counter is left');
});
