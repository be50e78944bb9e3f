import { Field, ObjectType, registerEnumType } from 'type-graphql';
import type { MessageRow } from '../src/store/schema';
import { CPFScalar, DateTimeScalar, UUIDScalar } from './scalars';

export enum MessageKind {
  DIRECT = 'DIRECT',
  BROADCAST = 'BROADCAST',
}
registerEnumType(MessageKind, { name: 'MessageKind' });

export enum MessageStatus {
  SENT = 'SENT',
  DELETED = 'DELETED',
}
registerEnumType(MessageStatus, { name: 'MessageStatus' });

@ObjectType()
export class MessageSender {
  @Field(() => String) cnpj!: string;
  @Field(() => String) name!: string;
}

@ObjectType({ description: "A push message to a citizen's gov.br app, or to everyone." })
export class Message {
  @Field(() => UUIDScalar) id!: string;
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
