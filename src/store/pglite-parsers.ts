import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';

/**
 * The types drizzle's PGlite session wants as text (its columns convert
 * them): timestamp, timestamptz, interval, date, and the arrays numeric[],
 * timestamp[], timestamptz[], interval[], date[] — the list in
 * drizzle-orm/pglite/session.js, which passes these as identity parsers
 * with every query.
 */
const DRIZZLE_TEXT_OIDS = new Set([1114, 1184, 1186, 1082, 1231, 1115, 1185, 1187, 1182]);
const asText = (value: string): string => value;

/** Per-query options drizzle passes; anything else (other types, other parsers) goes through untouched. */
function drizzleParsersOnly(options: QueryOptions | undefined): boolean {
  const p = options?.parsers;
  if (!p) return false;
  for (const k of Object.keys(p)) if (!DRIZZLE_TEXT_OIDS.has(Number(k))) return false;
  return true;
}

type Query = <T>(query: string, params?: unknown[], options?: QueryOptions) => Promise<Results<T>>;

function withoutDrizzleParsers(query: Query): Query {
  return <T>(q: string, params?: unknown[], options?: QueryOptions) =>
    query<T>(q, params, drizzleParsersOnly(options) ? { ...options, parsers: undefined } : options);
}

/**
 * PGlite 0.5 merges per-query parsers into its own table by spreading the
 * whole table — 318 entries (every built-in type and its array) — on every
 * query that passes any: ≈115 µs a query on the development box, 9 % of the
 * gateway's CPU in the 200-creates burst (a CPU profile: PGlite's result
 * parser, `{...this.parsers, ...options.parsers}`). drizzle passes the same
 * nine identity parsers with every query. Installed once in the instance's
 * table, the per-query copy is dropped: the same rows come back, without
 * the copy. Set after `PGlite.create`, which (re)builds the array parsers.
 */
export function installDrizzleParsers(client: PGlite): void {
  for (const oid of DRIZZLE_TEXT_OIDS) client.parsers[oid] = asText;
  client.query = withoutDrizzleParsers(client.query.bind(client));
  const transaction = client.transaction.bind(client);
  client.transaction = <T>(callback: (tx: Transaction) => Promise<T>) =>
    transaction<T>((tx) => {
      tx.query = withoutDrizzleParsers(tx.query.bind(tx));
      return callback(tx);
    });
}
