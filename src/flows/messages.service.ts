import { randomUUID } from 'node:crypto';
import type { PollResult } from '../pollers/scheduler';
import type { MessageRow } from '../store/schema';
import type { Db } from '../store/store';
import { UpstreamError, mayHaveActed } from '../upstreams/errors';
import type { ProvaDeVidaApi } from '../upstreams/provaDeVida/types';
import { FlowError, NotFoundError, requireInfrastructure } from './errors';
import { recordEntityChange, type Decision, type EntitySpec, type IntentHook } from './record';
import { auditReconciled, intentDeadlineMs, type FlowDeps } from './deps';

export const MESSAGE_POLL_KIND = 'message';

/** SENDING: the intent row, before the upstream has the message; UNCONFIRMED / FAILED as for transactions. */
export const MESSAGE_STATUSES = ['SENDING', 'SENT', 'DELETED', 'UNCONFIRMED', 'FAILED'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export const MESSAGE_EVENT_TYPES = ['SENDING', 'SENT', 'DELETED', 'UNCONFIRMED', 'FAILED'] as const;
type MessageEventType = (typeof MESSAGE_EVENT_TYPES)[number];

export interface SendMessageInput {
  /** Absent = broadcast to every citizen. */
  cpf?: string | undefined;
  title: string;
  content: string;
}

const messageToJson = (m: MessageRow): Record<string, unknown> => ({
  ...m,
  createdAt: m.createdAt.toISOString(),
  deletedAt: m.deletedAt ? m.deletedAt.toISOString() : null,
});

/**
 * Push messages to the citizen's gov.br app. Same change path as
 * transactions (store + event, then publish) and the same intent rule: the
 * SENDING row is committed before the POST, so no send goes unrecorded.
 */
export class MessagesService {
  private readonly now: () => Date;
  private readonly spec: EntitySpec<MessageRow>;
  private readonly deadlineMs: number;

  constructor(
    private readonly deps: FlowDeps,
    private readonly api: ProvaDeVidaApi,
    private readonly sender: { cnpj: string; name: string },
    opts: { /** PDV_TIMEOUT_MS. @default 10000 */ upstreamTimeoutMs?: number } = {},
  ) {
    this.now = deps.now ?? (() => new Date());
    this.deadlineMs = intentDeadlineMs(opts.upstreamTimeoutMs ?? 10_000);
    this.spec = {
      topic: 'message',
      load: (tx, id) => deps.store.messageForUpdate(tx, id),
      save: (tx, row) => deps.store.saveMessage(tx, row),
      cpfOf: (row) => row.cpf,
      toJson: messageToJson,
    };
    deps.scheduler.register(MESSAGE_POLL_KIND, (id) => this.poll(id));
  }

  /** Intent row, then the POST (never retried). An unknown outcome is returned as UNCONFIRMED. */
  async send(input: SendMessageInput, sentBy: string | null, onIntent?: IntentHook): Promise<MessageRow> {
    // Store and queue (the intent is polled) reachable, or a clear error now: nothing recorded, no push.
    await requireInfrastructure(this.deps);
    const id = randomUUID();
    const intent: MessageRow = {
      id,
      upstreamId: null,
      cpf: input.cpf ?? null,
      kind: input.cpf ? 'DIRECT' : 'BROADCAST',
      title: input.title,
      content: input.content,
      senderCnpj: this.sender.cnpj,
      senderName: this.sender.name,
      status: 'SENDING',
      sentBy,
      createdAt: this.now(),
      deletedAt: null,
    };
    await this.record(id, () => intent, 'SENDING', { create: true, also: onIntent ? (tx) => onIntent(tx, id) : undefined });
    try {
      await this.deps.scheduler.watch(MESSAGE_POLL_KIND, id);
    } catch (err) {
      await this.settle(id, 'FAILED').catch(() => undefined); // nothing was sent
      throw err;
    }
    let upstreamId: string;
    try {
      upstreamId = await this.api.sendMessage({ sender: this.sender, title: input.title, content: input.content, cpf: input.cpf });
    } catch (err) {
      if (!mayHaveActed(err)) {
        await this.settle(id, 'FAILED').catch((e: unknown) => this.deps.logger.error({ err: e, messageId: id }, 'could not record FAILED'));
        throw err;
      }
      this.deps.logger.warn({ messageId: id, code: err instanceof UpstreamError ? err.code : 'ERROR' }, 'send outcome unknown: UNCONFIRMED');
      return this.settle(id, 'UNCONFIRMED');
    }
    try {
      return await this.record(id, (cur) => (cur && (cur.status === 'SENDING' || cur.status === 'UNCONFIRMED') ? { ...cur, upstreamId, status: 'SENT' } : null), 'SENT');
    } catch (err) {
      this.deps.logger.error({ err, messageId: id, upstreamId }, 'message sent upstream but not recorded');
      throw err;
    }
  }

  async delete(id: string): Promise<MessageRow> {
    const current = (await this.deps.store.messagesById([id])).get(id);
    // Only messages this gateway sent can be deleted through it; no upstream call for anything else.
    if (!current) throw new NotFoundError('Message not found');
    if (current.status === 'DELETED') return current;
    if (current.status !== 'SENT' || !current.upstreamId) {
      throw new FlowError('WRONG_STATE', `Only a SENT message can be deleted; this one is ${current.status}`, { messageId: id, status: current.status });
    }
    await this.api.deleteMessage(current.upstreamId);
    const at = this.now();
    return this.record(id, (cur) => (cur && cur.status !== 'DELETED' ? { ...cur, status: 'DELETED', deletedAt: at } : null), 'DELETED');
  }

  /** Only intents are polled: past the create's deadline without an answer, UNCONFIRMED. */
  async poll(id: string): Promise<PollResult> {
    const current = (await this.deps.store.messagesById([id])).get(id);
    if (!current || current.status !== 'SENDING') return { done: true, changed: false };
    const due = new Date(current.createdAt.getTime() + this.deadlineMs);
    if (this.now().getTime() < due.getTime()) return { done: false, changed: false, dueAt: due };
    const { store } = this.deps;
    await this.settle(id, 'UNCONFIRMED', (tx) =>
      auditReconciled(store, tx, { target: `Message:${id}`, action: 'sendMessage', actor: current.sentBy, result: 'UNCONFIRMED' }),
    );
    this.deps.logger.warn({ messageId: id }, 'send never completed: UNCONFIRMED');
    return { done: true, changed: true };
  }

  /** At boot: follow every intent again. */
  async resume(): Promise<number> {
    const ids = await this.deps.store.messageIdsInStatus(['SENDING']);
    for (const id of ids) await this.deps.scheduler.watch(MESSAGE_POLL_KIND, id);
    return ids.length;
  }

  private settle(id: string, status: 'FAILED' | 'UNCONFIRMED', also?: (tx: Db) => Promise<void>): Promise<MessageRow> {
    return this.record(id, (cur) => (cur?.status === 'SENDING' ? { ...cur, status } : null), status, { also });
  }

  /** `next` returns null for "nothing to record" (e.g. the compare-and-set did not match). */
  private async record(
    id: string,
    next: (current: MessageRow | null) => MessageRow | null,
    type: MessageEventType,
    opts: { create?: boolean; also?: ((tx: Db) => Promise<void>) | undefined } = {},
  ): Promise<MessageRow> {
    const { row } = await recordEntityChange(this.deps, this.spec, id, (current): Decision<MessageRow> | null => {
      if (!current && !opts.create) throw new NotFoundError('Message not found');
      const after = next(current);
      return after ? { type, row: after, ...(opts.also ? { also: opts.also } : {}) } : null;
    }, { fresh: opts.create === true });
    if (!row) throw new NotFoundError('Message not found');
    return row;
  }
}
