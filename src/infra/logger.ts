import { pino, type Logger } from 'pino';
import { serializeError } from './log-safety.ts';

export type { Logger };

/** Paths that must never reach a log line, whatever object is logged. */
const REDACT = [
  'password',
  '*.password',
  'password_hash',
  '*.password_hash',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'secret',
  '*.secret',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'auth.token',
];

let stdout: ReturnType<typeof pino.destination> | null = null;

/**
 * Structured JSON logs on stdout; level from LOG_LEVEL. Lines go out asynchronously (pino's SonicBoom writes on the
 * thread pool, lines written meanwhile go together, the rest is flushed at exit): process.stdout writes to a pipe
 * synchronously, which was one blocking write per request on the event loop (3% of the list endpoints' CPU).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'check-in-hub' },
      redact: { paths: REDACT, censor: '[redacted]' },
      // Errors are logged without the values of the statement that failed (see log-safety.ts).
      serializers: { err: serializeError },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? (stdout ??= pino.destination({ dest: 1, sync: false })),
  );
}
