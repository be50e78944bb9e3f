import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './node.type';
import type { MessageRow } from '../src/store/schema';
import { CPFScalar, DateTimeScalar } from './scalars';

export enum MessageKind {
  DIRECT = 'DIRECT',
  BROADCAST = 'BROADCAST',
}
registerEnumType(MessageKind, {
  name: 'MessageKind',
  description: 'Who a message goes to (upstream `tipo`).',
  valuesConfig: {
    DIRECT: { description: '`D`: one citizen, by CPF.' },
    BROADCAST: { description: '`B`: every citizen with the gov.br app (admin only).' },
  },
});

export enum MessageStatus {
  SENDING = 'SENDING',
  SENT = 'SENT',
  DELETED = 'DELETED',
  UNCONFIRMED = 'UNCONFIRMED',
  FAILED = 'FAILED',
}
registerEnumType(MessageStatus, {
  name: 'MessageStatus',
  description: 'Where a message is, as far as the gateway knows.',
  valuesConfig: {
    SENDING: { description: 'Recorded by the gateway; the send to gov.br is in flight.' },
    SENT: { description: 'gov.br accepted it (upstreamId is set); deleteMessage can still remove it.' },
    DELETED: { description: "Removed from the citizen's app by deleteMessage (gov.br confirmed the delete). Final." },
    UNCONFIRMED: {
      description:
        'The send may have reached gov.br, but its answer never reached the gateway. It is never re-sent automatically; a person should check whether the citizen got it before sending again (a second send is a second notification).',
    },
    FAILED: { description: 'The send provably never took effect at gov.br; it is safe to send again.' },
  },
});

@ObjectType({ description: 'The agency a message comes from (upstream `remetente`).' })
export class MessageSender {
  @Field(() => String, { description: "The agency's CNPJ (this gateway sends PDV_REQUESTER_CNPJ)." }) cnpj!: string;
  @Field(() => String, { description: 'The agency name the citizen sees as sender (PDV_REQUESTER_NAME).' }) name!: string;
}

@ObjectType({ implements: Node, description: "A push message to a citizen's gov.br app, or to everyone." })
export class Message {
  @Field(() => ID, { description: "Global id of the gateway's own record, given before gov.br is asked and never changed." }) id!: string;
  @Field(() => String, { nullable: true, description: "gov.br's id for it; null until gov.br's answer to the send arrives." })
  upstreamId!: string | null;
  @Field(() => CPFScalar, { nullable: true, description: 'Null for a broadcast.' }) cpf!: string | null;
  @Field(() => MessageKind, { description: 'To one citizen or to everyone.' }) kind!: MessageKind;
  @Field(() => String, { description: 'The title shown in the app (`titulo`).' }) title!: string;
  @Field(() => String, { description: 'The text shown in the app (`conteudo`).' }) content!: string;
  @Field(() => MessageSender, { description: 'Who the citizen sees as sender.' }) sender!: MessageSender;
  @Field(() => MessageStatus, { description: 'Where the send is.' }) status!: MessageStatus;
  @Field(() => DateTimeScalar, { description: 'When the gateway recorded the send, before asking gov.br.' }) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When deleteMessage removed it; null unless DELETED.' }) deletedAt!: Date | null;

  static from(r: MessageRow): Message {
    return Object.assign(new Message(), {
      id: r.id,
      upstreamId: r.upstreamId,
      cpf: r.cpf,
      kind: r.kind as MessageKind,
      title: r.title,
      content: r.content,
      sender: { cnpj: r.senderCnpj, name: r.senderName },
      status: r.status as MessageStatus,
      createdAt: r.createdAt,
      deletedAt: r.deletedAt,
    });
  }
}
