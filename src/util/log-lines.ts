/**
 * Log lines for a person at a terminal: pino's JSON line turned into one short line — time, level, message, then
 * the fields as key=value — with an error's stack on the lines below it. Only the shape changes: the fields are
 * the JSON line's own, already censored by the logger.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** ANSI colours per level, used only when the terminal takes them. */
const COLOURS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every line carries, or that the line's head already shows. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'v']);

export interface ReadableLineOptions {
  colours?: boolean;
}

/** One JSON log line as the readable line(s) a terminal shows; a line that is not JSON is passed on as it is. */
export function readableLine(json: string, options: ReadableLineOptions = {}): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  if (typeof entry !== 'object' || entry === null) return `${json.trimEnd()}\n`;
  const level = typeof entry['level'] === 'number' ? entry['level'] : 30;
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const head = `${clock(entry['time'])} ${options.colours ? `\x1b[${COLOURS[level] ?? '0'}m${name}\x1b[0m` : name}`;
  const { message, shown } = entry['msg'] === 'request' ? requestSummary(entry) : { message: String(entry['msg'] ?? ''), shown: new Set<string>() };
  const stacks: string[] = [];
  const fields: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD_FIELDS.has(key) || shown.has(key) || value === undefined) continue;
    if (key === 'err' && isError(value)) {
      fields.push(`err=${quoted(String(value.message))}`);
      if (typeof value.stack === 'string') stacks.push(indent(value.stack));
      continue;
    }
    fields.push(`${key}=${typeof value === 'string' ? quoted(value) : JSON.stringify(value)}`);
  }
  return `${[head, message, ...fields].filter(Boolean).join(' ')}\n${stacks.join('')}`;
}

/** The request line as a person reads it: `GET /mcp 401 3.2 ms`, then the other fields. */
function requestSummary(entry: Record<string, unknown>): { message: string; shown: Set<string> } {
  const words = [entry['method'], entry['path']].map((part) => quoted(String(part ?? '-')));
  if (entry['status'] !== undefined) words.push(String(entry['status']));
  if (typeof entry['durationMs'] === 'number') words.push(`${entry['durationMs']} ms`);
  const message = words.join(' ');
  return { message, shown: new Set(['method', 'path', 'status', 'durationMs']) };
}

function clock(time: unknown): string {
  const date = new Date(typeof time === 'number' ? time : Date.now());
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A value that reads as one word stays bare; anything with spaces, quotes or control characters is quoted. */
function quoted(text: string): string {
  return /^[^\s"=\\\p{Cc}]+$/u.test(text) ? text : JSON.stringify(text);
}

function isError(value: unknown): value is { message: unknown; stack?: unknown } {
  return typeof value === 'object' && value !== null && 'message' in value;
}

function indent(stack: string): string {
  return `${stack
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;
}
