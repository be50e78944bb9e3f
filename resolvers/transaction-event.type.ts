import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { SafeIntScalar, DateTimeScalar } from './scalars';
import { Transaction } from './transaction.type';

export enum TransactionEventType {
  REQUESTING = 'REQUESTING',
  REQUESTED = 'REQUESTED',
  AUTHORIZED = 'AUTHORIZED',
  DENIED = 'DENIED',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
  UPDATED = 'UPDATED',
  UNCONFIRMED = 'UNCONFIRMED',
  FAILED = 'FAILED',
}
registerEnumType(TransactionEventType, {
  name: 'TransactionEventType',
  description: 'What a TransactionEvent recorded.',
  valuesConfig: {
    REQUESTING: { description: 'Recorded before gov.br is asked (status REQUESTING).' },
    REQUESTED: { description: "gov.br's answer to the request arrived (status PENDING, or already final)." },
    UNCONFIRMED: { description: "The request's outcome is unknown (see TransactionStatus.UNCONFIRMED)." },
    FAILED: { description: 'The request never took effect at gov.br.' },
    AUTHORIZED: { description: 'The citizen gave the proof of life (status AUTHORIZED).' },
    DENIED: { description: 'The citizen refused or a check failed (status DENIED).' },
    EXPIRED: { description: 'expiresAt passed without an answer (status EXPIRED).' },
    CANCELLED: { description: 'The transaction was cancelled (status CANCELLED).' },
    UPDATED: { description: 'Something visible changed without a new status: seal, response, cancellation, category or expiresAt.' },
  },
});

@ObjectType({
  description: 'One recorded change of a transaction. Keep the highest `seq` you saw and resubscribe with `afterSeq` to get every event you missed, once.',
})
export class TransactionEvent {
  @Field(() => SafeIntScalar, { description: 'Position in the event log; increases with every change.' }) seq!: number;
  @Field(() => TransactionEventType, { description: 'What changed.' }) type!: TransactionEventType;
  @Field(() => DateTimeScalar, { description: 'When the gateway recorded the change.' }) at!: Date;
  @Field(() => Transaction, { description: 'The transaction as it was right after this change.' }) transaction!: Transaction;
}
