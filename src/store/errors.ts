/**
 * The store (PostgreSQL) cannot be reached or did not answer in time. Raised
 * for connection loss, refused or timed-out connections and statement
 * timeouts — never for a bad query. Clients see `STORE_UNAVAILABLE` with a
 * fixed message: no host, no SQL.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(override readonly cause?: unknown) {
    super('The store is unavailable; try again shortly');
  }
}

/** SQLSTATE classes/codes that mean "the server is not there (for us) right now". */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-4]|53300|57014|3D000)$/;
/** Socket errors and node-postgres' own messages for a lost or never-made connection (`timeout expired`: pg-pool waited in vain for a client). */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|^timeout expired$|Query read timeout|Client has encountered a connection error|Connection ended|Client was closed|Cannot use a pool after calling end/;

/**
 * Whether `err` (or any error in its `cause` chain: Drizzle wraps driver
 * errors) says the store is unavailable rather than that a query is wrong.
 */
export function isStoreUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StoreUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    if (e instanceof AggregateError && e.errors.some((x) => isStoreUnavailable(x))) return true;
  }
  return false;
}
