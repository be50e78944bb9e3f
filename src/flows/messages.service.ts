import type { MessageRow } from '../store/schema';
import type { ProvaDeVidaApi } from '../upstreams/provaDeVida/types';
import { NotFoundError, requireInfrastructure } from './errors';
import { recordEntityChange, type EntitySpec } from './record';
import type { FlowDeps } from './proof-of-life.service';

export const MESSAGE_STATUSES = ['SENT', 'DELETED'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export const MESSAGE_EVENT_TYPES = ['SENT', 'DELETED'] as const;

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

/** Push messages to the citizen's gov.br app. Same change path as transactions: store + event, then publish. */
export class MessagesService {
  private readonly now: () => Date;
  private readonly spec: EntitySpec<MessageRow>;

  constructor(
    private readonly deps: FlowDeps,
    private readonly api: ProvaDeVidaApi,
    private readonly sender: { cnpj: string; name: string },
  ) {
    this.now = deps.now ?? (() => new Date());
    this.spec = {
      topic: 'message',
      load: (tx, id) => deps.store.messageForUpdate(tx, id),
      save: (tx, row) => deps.store.saveMessage(tx, row),
      cpfOf: (row) => row.cpf,
      toJson: messageToJson,
    };
  }

  async send(input: SendMessageInput, sentBy: string | null): Promise<MessageRow> {
    // Not polled (no queue needed), but stored: no push to a phone the store cannot record.
    await requireInfrastructure({ store: this.deps.store, scheduler: {} });
    const id = await this.api.sendMessage({ sender: this.sender, title: input.title, content: input.content, cpf: input.cpf });
    const row: MessageRow = {
      id,
      cpf: input.cpf ?? null,
      kind: input.cpf ? 'DIRECT' : 'BROADCAST',
      title: input.title,
      content: input.content,
      senderCnpj: this.sender.cnpj,
      senderName: this.sender.name,
      status: 'SENT',
      sentBy,
      createdAt: this.now(),
      deletedAt: null,
    };
    return this.record(id, () => row, 'SENT', true);
  }

  async delete(id: string): Promise<MessageRow> {
    const current = (await this.deps.store.messagesById([id])).get(id);
    // Only messages this gateway sent can be deleted through it; no upstream call for anything else.
    if (!current) throw new NotFoundError('Message not found');
    if (current.status === 'DELETED') return current;
    await this.api.deleteMessage(id);
    const at = this.now();
    return this.record(id, (cur) => ({ ...(cur ?? current), status: 'DELETED', deletedAt: at }), 'DELETED');
  }

  private async record(
    id: string,
    next: (current: MessageRow | null) => MessageRow,
    type: (typeof MESSAGE_EVENT_TYPES)[number],
    create = false,
  ): Promise<MessageRow> {
    const { row } = await recordEntityChange(this.deps, this.spec, id, (current) => {
      if (!current && !create) throw new NotFoundError('Message not found');
      if (current && current.status === 'DELETED') return null;
      return { type, row: next(current) };
    });
    if (!row) throw new NotFoundError('Message not found');
    return row;
  }
}
