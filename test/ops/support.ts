import { connect, type Socket } from 'node:net';

/**
 * The value of one series in a Prometheus text exposition: the sum over every series of `name` whose labels
 * include all of `labels` (0 when none matches).
 */
export function metricValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const seen = new Map<string, string>();
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) seen.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([key, value]) => seen.get(key) === value)) total += Number(match[3]);
  }
  return total;
}

/** A raw TCP connection to a loopback port, with what it received and when the server closed it. */
export async function rawConnection(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let data = '';
  socket.on('data', (chunk) => (data += chunk));
  socket.on('error', () => undefined); // a reset after the server gives up counts as closed
  const opened = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
  return { socket, received: () => data, closed };
}

/** Resolve with the value, or with `fallback` once `ms` have passed. */
export function orAfter<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]).finally(() => clearTimeout(timer));
}
