import pino, { type Logger } from 'pino';

/**
 * Structured logs with redaction. CPFs, tokens and secrets never reach a log
 * line: the redact paths cover the places they could travel in objects, and
 * the code logs masked CPFs (`maskCpf`) where it needs to name a citizen.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'accessToken',
  'access_token',
  'secret',
  'clientSecret',
  'password',
  'cpf',
  '*.cpf',
  '*.token',
  '*.authorization',
  '*.secret',
  '*.clientSecret',
  'variables',
  '*.variables',
  'connectionParams',
];

/** A CPF in any spelling (11 digits, or 000.000.000-00): masked wherever it appears in free text. */
const CPF_IN_TEXT = /(?<!\d)\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?!\d)/g;

/**
 * Error text safe for a log line: Drizzle appends the bound parameters
 * ("Failed query: … \nparams: 123…,x") — cut; any CPF left (a PostgreSQL
 * message quoting a value, an upstream echoing one) — masked.
 */
export function safeErrorText(text: string): string {
  return text.replace(/\n?params: [^\n]*/g, '\nparams: [redacted]').replace(CPF_IN_TEXT, '***.***.***-**');
}

/** Properties of an error worth logging; everything else (pg's `detail`/`where`, response bodies, request objects) is dropped. */
const KEPT = ['code', 'upstream', 'reason', 'status', 'kind', 'severity', 'routine'] as const;

/**
 * The one error serializer (pino's `err` key, and every place that writes an
 * error elsewhere, e.g. boot failures on stderr): type, sanitized message and
 * stack, a few code-like properties, and the cause chain, sanitized likewise.
 * Upstream bodies never travel: upstream errors carry fixed messages, and no
 * other property of an error is copied.
 */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> | string {
  if (!(err instanceof Error)) return safeErrorText(typeof err === 'string' ? err : String(err));
  const out: Record<string, unknown> = { type: err.name, message: safeErrorText(err.message) };
  if (err.stack) out['stack'] = safeErrorText(err.stack);
  const props = err as unknown as Record<string, unknown>;
  for (const k of KEPT) {
    const v = props[k];
    if (typeof v === 'string' || typeof v === 'number') out[k] = typeof v === 'string' ? safeErrorText(v) : v;
  }
  if (err.cause !== undefined && depth < 5) out['cause'] = serializeError(err.cause, depth + 1);
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: (e: unknown) => serializeError(e), error: (e: unknown) => serializeError(e) },
      base: { service: 'identity-flows-gateway' },
    },
    destination,
  );
}
