import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { SafeIntScalar, DateTimeScalar } from './scalars';
import { Transaction } from './transaction.type';

export enum TransactionEventType {
  REQUESTED = 'REQUESTED',
  AUTHORIZED = 'AUTHORIZED',
  DENIED = 'DENIED',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
  UPDATED = 'UPDATED',
}
registerEnumType(TransactionEventType, { name: 'TransactionEventType' });

@ObjectType({
  description: 'One recorded change of a transaction. Keep the highest `seq` you saw and resubscribe with `afterSeq` to get every event you missed, once.',
})
export class TransactionEvent {
  @Field(() => SafeIntScalar, { description: 'Position in the event log; increases with every change.' }) seq!: number;
  @Field(() => TransactionEventType) type!: TransactionEventType;
  @Field(() => DateTimeScalar) at!: Date;
  @Field(() => Transaction, { description: 'The transaction as it was right after this change.' }) transaction!: Transaction;
}
