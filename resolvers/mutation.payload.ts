import { Field, InterfaceType, ObjectType } from 'type-graphql';
import { Capture } from './capture.type';
import { Message } from './message.type';
import { CPFScalar } from './scalars';
import { OperatorLoginStatus, Station } from './station.type';
import { Transaction } from './transaction.type';
import { UserError } from './user-error.type';

/**
 * Every mutation answers with a `<Name>Payload`: the entity it touched (null
 * when a userError prevented it) and `userErrors` (empty on success). The
 * mutation guard (mutation-guard.ts) turns expected business outcomes raised
 * by a resolver into `userErrors`, so resolvers only build the success case.
 */
const USER_ERRORS = 'Expected reasons why the mutation did not take effect; empty when it did.';

@InterfaceType('MutationPayload', { description: 'What every mutation answers besides its entity: the expected reasons it did not take effect.' })
abstract class Payload {
  @Field(() => [UserError], { description: USER_ERRORS })
  userErrors: UserError[] = [];
}

@ObjectType({ implements: Payload, description: 'What requestProofOfLife answered.' })
export class RequestProofOfLifePayload extends Payload {
  @Field(() => Transaction, { nullable: true, description: 'The transaction created (or the one a retry with the same idempotency key created); null on a userError.' })
  transaction: Transaction | null = null;
}

@ObjectType({ implements: Payload, description: 'What cancelProofOfLife answered.' })
export class CancelProofOfLifePayload extends Payload {
  @Field(() => Transaction, { nullable: true, description: 'The cancelled transaction; null on a userError.' })
  transaction: Transaction | null = null;
}

@ObjectType({ implements: Payload, description: 'What sendMessage answered.' })
export class SendMessagePayload extends Payload {
  @Field(() => Message, { nullable: true, description: 'The message sent; null on a userError.' })
  message: Message | null = null;
}

@ObjectType({ implements: Payload, description: 'What deleteMessage answered.' })
export class DeleteMessagePayload extends Payload {
  @Field(() => Message, { nullable: true, description: 'The message, now DELETED; null on a userError.' })
  message: Message | null = null;
}

const CAPTURE = 'The capture; null on a userError.';

@ObjectType({ implements: Payload, description: 'What startPresentialCapture answered.' })
export class StartPresentialCapturePayload extends Payload {
  @Field(() => Capture, { nullable: true, description: CAPTURE }) capture: Capture | null = null;
}

@ObjectType({ implements: Payload, description: 'What enroll answered.' })
export class EnrollPayload extends Payload {
  @Field(() => Capture, { nullable: true, description: CAPTURE }) capture: Capture | null = null;
}

@ObjectType({ implements: Payload, description: 'What startRemoteVerify answered.' })
export class StartRemoteVerifyPayload extends Payload {
  @Field(() => Capture, { nullable: true, description: CAPTURE }) capture: Capture | null = null;
}

@ObjectType({ implements: Payload, description: 'What startRemoteEnroll answered.' })
export class StartRemoteEnrollPayload extends Payload {
  @Field(() => Capture, { nullable: true, description: CAPTURE }) capture: Capture | null = null;
}

@ObjectType({ implements: Payload, description: 'What startOperatorCapture answered.' })
export class StartOperatorCapturePayload extends Payload {
  @Field(() => Capture, { nullable: true, description: CAPTURE }) capture: Capture | null = null;
}

@ObjectType({ implements: Payload, description: 'What sendCapture answered.' })
export class SendCapturePayload extends Payload {
  @Field(() => Capture, { nullable: true, description: CAPTURE }) capture: Capture | null = null;
}

@ObjectType({ implements: Payload, description: 'What resendPendingCaptures answered.' })
export class ResendPendingCapturesPayload extends Payload {
  @Field(() => Station, { nullable: true, description: 'The station; null on a userError.' })
  station: Station | null = null;
  @Field(() => [Capture], { nullable: true, description: 'Captures whose send went through now; they are back to result polling.' })
  resent: Capture[] | null = null;
  @Field(() => [String], { nullable: true, description: 'TGUIDs still pending on the station (tried again at the next resend).' })
  failed: string[] | null = null;
}

@ObjectType({ implements: Payload, description: 'What loginOperator answered: the station (refetch its live fields to refresh a cached Station) and the settled login answer.' })
export class LoginOperatorPayload extends Payload {
  @Field(() => Station, { nullable: true, description: 'The station logged in on; null on a userError.' })
  station: Station | null = null;
  @Field(() => OperatorLoginStatus, { nullable: true, description: 'The settled login answer; null on a userError.' })
  status: OperatorLoginStatus | null = null;
  @Field(() => String, { nullable: true, description: 'The status exactly as the station sent it (differs from status only when that is UNKNOWN).' })
  statusCode: string | null = null;
  @Field(() => Boolean, { nullable: true, description: 'OPERATOR_OK or OPERATOR_OFFLINE_OK; null on a userError.' })
  loggedIn: boolean | null = null;
  @Field(() => CPFScalar, { nullable: true, description: 'The operator the station reports as logged in.' })
  operatorCpf: string | null = null;
}

/** The entity a payload carries, for the audit record; null for payloads of a userError. */
export function payloadEntity(result: unknown): { type: string; id: string; status?: unknown } | null {
  if (!(result instanceof Payload)) return null;
  const r = result as unknown as Record<string, unknown>;
  for (const [key, type] of [['transaction', 'Transaction'], ['message', 'Message'], ['capture', 'Capture'], ['station', 'Station']] as const) {
    const e = r[key] as { id?: unknown; status?: unknown } | null | undefined;
    if (e && typeof e.id === 'string') return { type, id: e.id, status: e.status };
  }
  return null;
}

export { Payload as MutationPayload };
