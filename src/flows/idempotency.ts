import { createHash } from 'node:crypto';
import type { Store } from '../store/store';
import { mayHaveActed } from '../upstreams/errors';
import { FlowError } from './errors';
import type { IntentHook } from './record';

const KEY = /^[A-Za-z0-9._:-]{8,200}$/;

/** Stable JSON: the same input in another key order is the same request. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}

export function requestHash(operation: string, input: unknown): string {
  return createHash('sha256').update(operation).update('\0').update(JSON.stringify(canonical(input))).digest('hex');
}

/** Statuses of an intent whose upstream call is still in flight: a retry must wait, not get it. */
const IN_FLIGHT = new Set(['REQUESTING', 'SENDING', 'STARTING']);

/**
 * Idempotency keys for mutations with an upstream side effect (a push to a
 * citizen's phone, a capture at a desk). Keys are per caller (`sub`): the
 * first call with a key runs and records the entity it produced; a retry with
 * the same key and input returns that entity (as it is now) without calling
 * the upstream; the same key with another input is refused.
 *
 * The key is tied to the entity in the intent row's own transaction (the
 * `IntentHook` handed to `fn`), before the upstream call. It is released only
 * when the upstream provably did nothing (a refusal, a request that never
 * left); whenever it may have acted — a timeout, a 5xx, the store failing
 * after the create, a crash — the key stays and a retry gets that entity
 * (UNCONFIRMED, say) instead of a second create.
 */
export class Idempotency {
  constructor(
    private readonly store: Store,
    /** How long a key is remembered. @default 24 h */
    private readonly ttlMs = 24 * 3600_000,
  ) {}

  async run<T extends { id: string; status?: string }>(
    args: { subject: string; key: string | null | undefined; operation: string; input: unknown; kind: string },
    fn: (onIntent?: IntentHook) => Promise<T>,
    load: (id: string) => Promise<T | null>,
  ): Promise<T> {
    if (!args.key) return fn();
    const key = args.key;
    if (!KEY.test(key)) {
      throw new FlowError('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 8 to 200 characters of A-Z a-z 0-9 . _ : -', { field: 'idempotencyKey' });
    }
    const hash = requestHash(args.operation, args.input);
    if (await this.store.claimIdempotency(args.subject, key, args.operation, hash)) {
      try {
        const result = await fn((tx, id) => this.store.bindIdempotency(tx, args.subject, key, args.kind, id));
        await this.store.completeIdempotency(args.subject, key, args.kind, result.id);
        return result;
      } catch (err) {
        await this.releaseUnlessActed(args.subject, key, err, load);
        throw err;
      }
    }
    const rec = await this.store.idempotencyRecord(args.subject, key);
    if (!rec) return this.run(args, fn, load); // released between our claim attempt and the read: try again
    if (rec.operation !== args.operation || rec.requestHash !== hash) {
      throw new FlowError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request', { field: 'idempotencyKey' });
    }
    if (rec.resultId && rec.state !== 'DONE') {
      // The first call wrote its intent and then failed or died: its entity, once settled, is the answer.
      const found = await load(rec.resultId);
      if (found && !IN_FLIGHT.has(found.status ?? '')) return found;
    }
    if (rec.state !== 'DONE' || !rec.resultId) {
      throw new FlowError('IDEMPOTENCY_IN_PROGRESS', 'The first request with this Idempotency-Key is still running; retry shortly', {});
    }
    const found = await load(rec.resultId);
    if (!found) throw new FlowError('IDEMPOTENCY_IN_PROGRESS', 'The result of this Idempotency-Key is not available yet', {});
    return found;
  }

  /**
   * After a failed first call: keep the key when it is tied to an intent and
   * the upstream may have acted; otherwise let a retry run again.
   */
  private async releaseUnlessActed<T extends { status?: string }>(subject: string, key: string, err: unknown, load: (id: string) => Promise<T | null>): Promise<void> {
    try {
      const rec = await this.store.idempotencyRecord(subject, key);
      // FAILED: the flow itself established that nothing took effect (e.g. the poll job could not be registered before the POST).
      if (rec?.resultId && mayHaveActed(err) && (await load(rec.resultId))?.status !== 'FAILED') return;
      await this.store.releaseIdempotency(subject, key);
    } catch {
      // The store is failing too: the key stays IN_PROGRESS until its TTL, which errs on the safe side.
    }
  }

  /** Forget keys older than the TTL (a scheduled job). */
  sweep(now = new Date()): Promise<number> {
    return this.store.expireIdempotency(new Date(now.getTime() - this.ttlMs));
  }
}
