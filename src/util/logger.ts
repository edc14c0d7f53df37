import { pino, type Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Structured logs. Secrets never reach them: nothing logs headers or query strings, and
 * any field that looks like a credential is censored as a second line of defence.
 */
export function createLogger(options: { level?: LogLevel; destination?: 'stdout' | 'stderr' } = {}): Logger {
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
    pino.destination({ fd: options.destination === 'stderr' ? 2 : 1, sync: false }),
  );
}
