import { randomUUID } from 'node:crypto';
import type { PollResult } from '../pollers/scheduler';
import type { TransactionRow } from '../store/schema';
import { FlowError, NotFoundError, requireInfrastructure } from './errors';
import { recordEntityChange, type Decision, type EntitySpec, type IntentHook } from './record';
import type { Db } from '../store/store';
import { auditReconciled, intentDeadlineMs, type FlowDeps } from './deps';
import { UpstreamError, UpstreamNotFoundError, mayHaveActed } from '../upstreams/errors';
import type { CreateProofOfLifeRequest, ProvaDeVidaApi, Requester } from '../upstreams/provaDeVida/types';
import {
  OPEN_TRANSACTION_STATUSES,
  expireIfDue,
  intentRow,
  isTerminal,
  mergeUpstream,
  rowFromCreate,
  transactionToJson,
  transitionEvent,
} from './proof-of-life';

export const TRANSACTION_POLL_KIND = 'transaction';

export interface ProofOfLifeRequestInput {
  cpf: string;
  reason: string;
  kind: 'B' | 'C';
  expiresInMinutes: number;
  sealReuseWindowMinutes?: number | undefined;
  category?: 'PV' | 'OU' | undefined;
  failureMessage?: string | undefined;
  successMessage?: string | undefined;
}

export interface ProofOfLifeOptions {
  /** The configured Prova de Vida version (recorded on the intent row). @default 'vbeta2' */
  apiVersion?: string;
  /** PDV_LEGACY_VBETA1_CREATE: a request without a seal window goes to vbeta1. @default false */
  legacyVbeta1Create?: boolean;
  /** The client's per-request timeout (PDV_TIMEOUT_MS). @default 10000 */
  upstreamTimeoutMs?: number;
}

/**
 * Proof-of-life flows: the mutations and the poller both go through
 * `apply`, the only place a transaction changes (store + event in one DB
 * transaction, then the wake-up).
 */
export class ProofOfLifeService {
  private readonly now: () => Date;
  private readonly spec: EntitySpec<TransactionRow>;

  private readonly apiVersion: string;
  private readonly legacyVbeta1Create: boolean;
  private readonly deadlineMs: number;

  constructor(
    private readonly deps: FlowDeps,
    private readonly api: ProvaDeVidaApi,
    private readonly requester: Requester,
    opts: ProofOfLifeOptions = {},
  ) {
    this.now = deps.now ?? (() => new Date());
    this.apiVersion = opts.apiVersion ?? 'vbeta2';
    this.legacyVbeta1Create = opts.legacyVbeta1Create ?? false;
    this.deadlineMs = intentDeadlineMs(opts.upstreamTimeoutMs ?? 10_000);
    this.spec = {
      topic: 'transaction',
      load: (tx, id) => deps.store.transactionForUpdate(tx, id),
      cpfOf: (row) => row.cpf,
      toJson: transactionToJson,
      versioned: { write: (tx, row, version) => deps.store.transactionWrite(tx, row, version), withVersion: (row, version) => ({ ...row, version }) },
    };
    deps.scheduler.register(TRANSACTION_POLL_KIND, (id) => this.poll(id));
  }

  /**
   * The intent row (REQUESTING, with its event and the idempotency key bound
   * to it) is committed and watched before the POST, so whatever happens next
   * — a timeout, a 5xx, a crash, the store failing — leaves a row a person can
   * see. The create is never retried: a second POST notifies the citizen twice.
   * An outcome we cannot know is returned as UNCONFIRMED, not thrown.
   */
  async request(input: ProofOfLifeRequestInput, requestedBy: string | null, onIntent?: IntentHook): Promise<TransactionRow> {
    // Store and queue reachable, or a clear error now: nothing recorded, nothing sent.
    await requireInfrastructure(this.deps);
    const req: CreateProofOfLifeRequest = { ...input, requester: this.requester };
    const id = randomUUID();
    // The client's choice, known in advance: the configured version, vbeta1 only as the legacy option without a seal window.
    const version = req.sealReuseWindowMinutes === undefined && this.legacyVbeta1Create ? 'vbeta1' : this.apiVersion;
    const intent = intentRow(req, id, version, this.now(), requestedBy);
    await this.apply(id, () => intent, { create: true, also: onIntent ? (tx) => onIntent(tx, id) : undefined });
    // From here on the row is followed: if no answer is ever recorded, the poll settles it (never re-POSTs).
    try {
      await this.deps.scheduler.watch(TRANSACTION_POLL_KIND, id);
    } catch (err) {
      await this.settle(id, 'FAILED').catch(() => undefined); // nothing was sent
      throw err;
    }
    let created: Awaited<ReturnType<ProvaDeVidaApi['createTransaction']>>;
    try {
      created = await this.api.createTransaction(req);
    } catch (err) {
      return this.settleFailedCreate(id, err);
    }
    // A legacy vbeta1 create answers only the id. One read (safe to retry) gives the upstream's own
    // timestamps now, instead of a spurious UPDATED event at the first poll.
    const transaction = created.transaction ?? (await this.api.getTransaction(created.id).catch(() => null));
    const row: TransactionRow = { ...rowFromCreate(req, { id: created.id, version: created.version, transaction }, this.now(), requestedBy), id };
    try {
      // Also from UNCONFIRMED: a late answer is better knowledge than our guess.
      return await this.apply(id, (cur) => (cur && (cur.status === 'REQUESTING' || cur.status === 'UNCONFIRMED') ? row : cur!));
    } catch (err) {
      // Created upstream, not recorded: the intent row stays and becomes UNCONFIRMED; the log names both ids.
      this.deps.logger.error({ err, transactionId: id, upstreamId: created.id }, 'transaction created upstream but not recorded');
      throw err;
    }
  }

  /** The create failed: FAILED (and thrown) when the upstream provably did nothing, else UNCONFIRMED (returned). */
  private async settleFailedCreate(id: string, err: unknown): Promise<TransactionRow> {
    if (!mayHaveActed(err)) {
      await this.settle(id, 'FAILED').catch((e: unknown) => this.deps.logger.error({ err: e, transactionId: id }, 'could not record FAILED'));
      throw err;
    }
    this.deps.logger.warn({ transactionId: id, code: err instanceof UpstreamError ? err.code : 'ERROR' }, 'create outcome unknown: UNCONFIRMED');
    return this.settle(id, 'UNCONFIRMED');
  }

  /** REQUESTING → `status` (compare-and-set); `also` adds writes to the same transaction. */
  private settle(id: string, status: 'FAILED' | 'UNCONFIRMED', also?: (tx: Db) => Promise<void>): Promise<TransactionRow> {
    const at = this.now();
    return this.apply(id, (cur) => (cur?.status === 'REQUESTING' ? { ...cur, status, updatedAt: at } : cur!), { also });
  }

  async cancel(id: string): Promise<TransactionRow> {
    const current = (await this.deps.store.transactionsById([id])).get(id);
    if (!current) throw new NotFoundError('Transaction not found');
    if (isTerminal(current.status)) return current;
    if (!current.upstreamId) {
      throw new FlowError('WRONG_STATE', 'The transaction is still being requested; retry in a few seconds', { transactionId: id, status: current.status });
    }
    await this.api.cancelTransaction(current.upstreamId);
    try {
      const u = await this.api.getTransaction(current.upstreamId);
      return await this.apply(id, (cur) => mergeUpstream(cur!, u, this.now()));
    } catch (err) {
      // The cancel itself succeeded upstream; record it even if the read-back failed.
      this.deps.logger.warn({ err, transactionId: id }, 'read-back after cancel failed; recording the cancellation locally');
      const at = this.now();
      return this.apply(id, (cur) =>
        isTerminal(cur!.status)
          ? cur!
          : { ...cur!, status: 'CANCELLED', cancellation: { code: 'CLIENTE', reason: null, cancelledAt: at.toISOString() }, updatedAt: at },
      );
    }
  }

  /** One poll of one transaction: read upstream, fold, record if changed. */
  async poll(id: string): Promise<PollResult> {
    const current = (await this.deps.store.transactionsById([id])).get(id);
    if (!current || isTerminal(current.status)) return { done: true, changed: false };
    if (current.status === 'REQUESTING' || !current.upstreamId) return this.reconcileIntent(current);
    let next: TransactionRow;
    let upstreamFailed = false;
    try {
      const u = await this.api.getTransaction(current.upstreamId);
      const now = this.now();
      next = await this.apply(id, (cur) => mergeUpstream(cur!, u, now));
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      upstreamFailed = true;
      if (err instanceof UpstreamNotFoundError) this.deps.logger.warn({ transactionId: id }, 'upstream no longer knows this transaction');
      else this.deps.logger.warn({ transactionId: id, code: err.code }, 'transaction poll failed');
      // The upstream never marks expiry: our clock does, reachable or not.
      const now = this.now();
      next = await this.apply(id, (cur) => expireIfDue(cur!, now));
    }
    const changed = next.updatedAt.getTime() !== current.updatedAt.getTime();
    if (isTerminal(next.status)) return { done: true, changed, upstreamFailed };
    return { done: false, changed, dueAt: next.expiresAt, upstreamFailed };
  }

  /**
   * An intent whose create may still be in flight is left alone until the
   * create's deadline; past it, nobody completed it (a crash, the store down):
   * UNCONFIRMED, with its audit line. Never re-POSTed.
   */
  private async reconcileIntent(current: TransactionRow): Promise<PollResult> {
    const due = new Date(current.createdAt.getTime() + this.deadlineMs);
    if (this.now().getTime() < due.getTime()) return { done: false, changed: false, dueAt: due };
    const { store } = this.deps;
    const target = `Transaction:${current.id}`;
    const row = await this.settle(current.id, 'UNCONFIRMED', (tx) =>
      auditReconciled(store, tx, { target, action: 'requestProofOfLife', actor: current.requestedBy, result: 'UNCONFIRMED' }),
    );
    this.deps.logger.warn({ transactionId: current.id }, 'create never completed: UNCONFIRMED');
    return { done: isTerminal(row.status), changed: true };
  }

  /** At boot: watch every open transaction again (the scheduler keeps nothing across restarts). */
  async resume(): Promise<number> {
    const open = await this.deps.store.openTransactionIds(OPEN_TRANSACTION_STATUSES);
    for (const t of open) await this.deps.scheduler.watch(TRANSACTION_POLL_KIND, t.id);
    return open.length;
  }

  /**
   * Applies `next(current)` under the event-log lock; appends an event only
   * if a client could notice the difference; publishes after commit.
   * `create`: the intent of a transaction whose id was just generated (no
   * row to read first; see `recordEntityChange`'s `fresh`).
   */
  private async apply(
    id: string,
    next: (current: TransactionRow | null) => TransactionRow,
    opts: { create?: boolean; also?: ((tx: Db) => Promise<void>) | undefined } = {},
  ): Promise<TransactionRow> {
    const { row } = await recordEntityChange(this.deps, this.spec, id, (current): Decision<TransactionRow> | null => {
      if (!current && !opts.create) throw new NotFoundError('Transaction not found');
      const after = next(current);
      const type = transitionEvent(current, after);
      return type ? { type, row: after, ...(opts.also ? { also: opts.also } : {}) } : null;
    }, { fresh: opts.create === true });
    return row ?? (await this.mustGet(id));
  }

  private async mustGet(id: string): Promise<TransactionRow> {
    const row = (await this.deps.store.transactionsById([id])).get(id);
    if (!row) throw new NotFoundError('Transaction not found');
    return row;
  }
}
