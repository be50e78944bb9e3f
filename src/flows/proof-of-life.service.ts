import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { PollResult, PollScheduler } from '../pollers/scheduler';
import type { TransactionRow } from '../store/schema';
import { NotFoundError } from './errors';
import { recordEntityChange, type EntitySpec } from './record';
import type { Store } from '../store/store';
import { UpstreamError, UpstreamNotFoundError } from '../upstreams/errors';
import type { CreateProofOfLifeRequest, ProvaDeVidaApi, Requester } from '../upstreams/provaDeVida/types';
import {
  OPEN_TRANSACTION_STATUSES,
  expireIfDue,
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

export interface FlowDeps {
  store: Store;
  bus: EventBus;
  scheduler: PollScheduler;
  logger: Logger;
  now?: () => Date;
}

export { NotFoundError };

/**
 * Proof-of-life flows: the mutations and the poller both go through
 * `apply`, the only place a transaction changes (store + event in one DB
 * transaction, then the wake-up).
 */
export class ProofOfLifeService {
  private readonly now: () => Date;
  private readonly spec: EntitySpec<TransactionRow>;

  constructor(
    private readonly deps: FlowDeps,
    private readonly api: ProvaDeVidaApi,
    private readonly requester: Requester,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.spec = {
      topic: 'transaction',
      load: (tx, id) => deps.store.transactionForUpdate(tx, id),
      save: (tx, row) => deps.store.saveTransaction(tx, row),
      cpfOf: (row) => row.cpf,
      toJson: transactionToJson,
      withVersion: (row, version) => ({ ...row, version }),
    };
    deps.scheduler.register(TRANSACTION_POLL_KIND, (id) => this.poll(id));
  }

  async request(input: ProofOfLifeRequestInput, requestedBy: string | null): Promise<TransactionRow> {
    const req: CreateProofOfLifeRequest = { ...input, requester: this.requester };
    // Never retried on failure (the client guarantees it): a second POST would notify the citizen twice.
    const created = await this.api.createTransaction(req);
    // vbeta1 answers only the id. One read (safe to retry) gives the upstream's own
    // timestamps now, instead of a spurious UPDATED event at the first poll.
    const transaction = created.transaction ?? (await this.api.getTransaction(created.id).catch(() => null));
    const row = rowFromCreate(req, { id: created.id, version: created.version, transaction }, this.now(), requestedBy);
    const saved = await this.apply(row.id, () => row, true);
    if (!isTerminal(saved.status)) await this.deps.scheduler.watch(TRANSACTION_POLL_KIND, saved.id);
    return saved;
  }

  async cancel(id: string): Promise<TransactionRow> {
    const current = (await this.deps.store.transactionsById([id])).get(id);
    if (!current) throw new NotFoundError('Transaction not found');
    if (isTerminal(current.status)) return current;
    await this.api.cancelTransaction(id);
    try {
      const u = await this.api.getTransaction(id);
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
    let next: TransactionRow;
    let upstreamFailed = false;
    try {
      const u = await this.api.getTransaction(id);
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

  /** At boot: watch every open transaction again (the scheduler keeps nothing across restarts). */
  async resume(): Promise<number> {
    const open = await this.deps.store.openTransactionIds(OPEN_TRANSACTION_STATUSES);
    for (const t of open) await this.deps.scheduler.watch(TRANSACTION_POLL_KIND, t.id);
    return open.length;
  }

  /**
   * Applies `next(current)` under the event-log lock; appends an event only
   * if a client could notice the difference; publishes after commit.
   */
  private async apply(
    id: string,
    next: (current: TransactionRow | null) => TransactionRow,
    create = false,
  ): Promise<TransactionRow> {
    const { row } = await recordEntityChange(this.deps, this.spec, id, (current) => {
      if (!current && !create) throw new NotFoundError('Transaction not found');
      const after = next(current);
      const type = transitionEvent(current, after);
      return type ? { type, row: after } : null;
    });
    return row ?? (await this.mustGet(id));
  }

  private async mustGet(id: string): Promise<TransactionRow> {
    const row = (await this.deps.store.transactionsById([id])).get(id);
    if (!row) throw new NotFoundError('Transaction not found');
    return row;
  }
}
