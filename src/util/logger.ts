import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger } from 'pino';
import { readableLine } from './log-lines.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** `auto`: readable lines when the destination is a terminal, JSON lines otherwise (files, pipes, log collectors). */
export type LogFormat = 'auto' | 'pretty' | 'json';

/**
 * Structured logs. Secrets never reach them: nothing logs headers or query strings, and
 * any field that looks like a credential is censored as a second line of defence.
 */
export function createLogger(options: { level?: LogLevel; destination?: 'stdout' | 'stderr'; format?: LogFormat } = {}): Logger {
  const fd = options.destination === 'stderr' ? 2 : 1;
  const sink = pino.destination({ fd, sync: false });
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && isatty(fd));
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'gatehouse' },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'token',
          '*.token',
          'accessToken',
          '*.accessToken',
          'clientSecret',
          '*.clientSecret',
          'secret',
          '*.secret',
          'password',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    pretty ? readableSink(sink, fd) : sink,
  );
}

/** Each JSON line, censored already, rewritten for a person before it reaches the terminal. */
function readableSink(sink: DestinationStream, fd: number): DestinationStream {
  const colours = isatty(fd) && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
  return { write: (line: string) => sink.write(readableLine(line, { colours })) };
}
