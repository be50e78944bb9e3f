/**
 * Tolerant readers keep an enumeration value they do not know (a new denial
 * reason, a new station status) instead of failing the whole answer; this
 * reports each such value once per process, so an operator learns about a
 * contract change without a log line per poll.
 */
import type { Logger } from 'pino';
import type { UpstreamName } from './errors';

/** Bounded so that an upstream sending a new value every time cannot grow memory. */
const MAX_REMEMBERED = 500;

/**
 * The raw value, cut short and with anything that looks like a CPF or another
 * long number masked: an upstream could put personal data where a code goes.
 */
export function maskRawValue(raw: string): string {
  return raw
    .slice(0, 40)
    .replace(/\d[\d.\-/ ]{4,}\d/g, (m) => '*'.repeat(m.length))
    .replace(/[^\x20-\x7e]/g, '?');
}

export type UnknownValueReporter = (field: string, raw: string) => void;

export function unknownValueReporter(upstream: UpstreamName, log: Logger | undefined): UnknownValueReporter {
  const seen = new Set<string>();
  return (field, raw) => {
    const value = maskRawValue(raw);
    const key = `${field}\u0000${value}`;
    if (seen.has(key) || seen.size >= MAX_REMEMBERED) return;
    seen.add(key);
    log?.warn({ event: 'unknown_upstream_value', upstream, field, value }, 'upstream sent a value this gateway does not know; kept as is');
  };
}
