import type { Facts } from './facts.js';
import { type Check, pass, warn } from './report.js';

/** Every request the doctor made, timed: slow discovery is what makes a client's connect time out. */
export function checkTimings(facts: Facts, checks: Check[]): void {
  const { timings } = facts.http;
  if (!timings.length) return;
  const slowest = timings.reduce((a, b) => (b.ms > a.ms ? b : a));
  const slow = timings.filter((t) => t.ms > facts.settings.slowMs);
  checks.push(
    slow.length
      ? warn(
          'timing.response-times',
          `${slow.length} of ${timings.length} requests took over ${facts.settings.slowMs} ms: ${slow.map((t) => `${t.method} ${t.url} ${t.ms} ms`).join(', ')}`,
          'find what the slow endpoints wait on (a cold start, a database, an upstream) before clients time out',
        )
      : pass('timing.response-times', `${timings.length} requests, slowest ${slowest.ms} ms (${slowest.method} ${slowest.url})`),
  );
}
