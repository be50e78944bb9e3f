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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'identity-flows-gateway' },
    },
    destination,
  );
}
