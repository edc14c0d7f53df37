// The child side of a hosted target (see forkHost in common.ts): announce the target, then answer the bench
// process's questions about this process's CPU time and memory, and close when told.
import type { HostMessage, HostReply, HttpTarget, MemoryReading } from './common.js';

/** process.memoryUsage() after a full GC (when the process runs with --expose-gc), so garbage is not counted. */
export function memoryAfterGc(): MemoryReading {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external };
}

/** `introspectionCalls` counts the calls a target's introspection server has seen (0 for the others). */
export function answerParent(target: HttpTarget, introspectionCalls: () => number = () => 0): void {
  const reply = (message: HostReply) => process.send!(message);
  reply({ started: { name: target.name, url: target.url, requests: target.requests } });
  process.on('message', (message: HostMessage) => {
    if (message === 'usage') {
      const { user, system } = process.cpuUsage();
      reply({ usage: { cpuSeconds: (user + system) / 1e6, introspectionCalls: introspectionCalls() } });
    } else if (message === 'memory') {
      reply({ memory: memoryAfterGc() });
    } else if (message === 'close') {
      void target.close().finally(() => process.exit(0));
    }
  });
}
