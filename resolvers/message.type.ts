import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './node.type';
import type { MessageRow } from '../src/store/schema';
import { CPFScalar, DateTimeScalar } from './scalars';

export enum MessageKind {
  DIRECT = 'DIRECT',
  BROADCAST = 'BROADCAST',
}
registerEnumType(MessageKind, { name: 'MessageKind' });

export enum MessageStatus {
  SENDING = 'SENDING',
  SENT = 'SENT',
  DELETED = 'DELETED',
  UNCONFIRMED = 'UNCONFIRMED',
  FAILED = 'FAILED',
}
registerEnumType(MessageStatus, {
  name: 'MessageStatus',
  valuesConfig: {
    SENDING: { description: 'Recorded by the gateway; the send to gov.br is in flight.' },
    UNCONFIRMED: {
      description:
        'The send may have reached gov.br, but its answer never reached the gateway. It is never re-sent automatically; a person should check whether the citizen got it before sending again (a second send is a second notification).',
    },
    FAILED: { description: 'The send provably never took effect at gov.br; it is safe to send again.' },
  },
});

@ObjectType()
export class MessageSender {
  @Field(() => String) cnpj!: string;
  @Field(() => String) name!: string;
}

@ObjectType({ implements: Node, description: "A push message to a citizen's gov.br app, or to everyone." })
export class Message {
  @Field(() => ID, { description: "Global id of the gateway's own record, given before gov.br is asked and never changed." }) id!: string;
  @Field(() => String, { nullable: true, description: "gov.br's id for it; null until gov.br's answer to the send arrives." })
  upstreamId!: string | null;
  @Field(() => CPFScalar, { nullable: true, description: 'Null for a broadcast.' }) cpf!: string | null;
  @Field(() => MessageKind) kind!: MessageKind;
  @Field(() => String) title!: string;
  @Field(() => String) content!: string;
  @Field(() => MessageSender) sender!: MessageSender;
  @Field(() => MessageStatus) status!: MessageStatus;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) deletedAt!: Date | null;

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
