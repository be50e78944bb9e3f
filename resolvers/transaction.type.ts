import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { TransactionRow } from '../src/store/schema';
import { CPFScalar, DateTimeScalar, SafeIntScalar, UUIDScalar } from './scalars';

export enum TransactionStatus {
  PENDING = 'PENDING',
  AUTHORIZED = 'AUTHORIZED',
  DENIED = 'DENIED',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(TransactionStatus, {
  name: 'TransactionStatus',
  description: 'Derived: the upstream has no status field (answer → AUTHORIZED/DENIED, cancellation → CANCELLED, past expiry → EXPIRED).',
});

export enum ProofOfLifeKind {
  FACIAL_BIOMETRY = 'B',
  CONFIRMATION = 'C',
}
registerEnumType(ProofOfLifeKind, { name: 'ProofOfLifeKind', description: 'How the citizen answers in the gov.br app.' });

export enum ProofOfLifeCategory {
  PROOF_OF_LIFE = 'PV',
  OTHER = 'OU',
}
registerEnumType(ProofOfLifeCategory, { name: 'ProofOfLifeCategory', description: 'vbeta4 only.' });

export enum DenialReason {
  CITIZEN_REFUSED = 1,
  FACIAL_CHECK_FAILED = 2,
  BIOGRAPHIC_CHECK_FAILED = 3,
  FACIAL_AND_BIOGRAPHIC_CHECK_FAILED = 4,
}
registerEnumType(DenialReason, { name: 'DenialReason', description: 'Why a proof of life was denied (vbeta4 `motivo_negacao`).' });

export enum CancellationCode {
  /** Cancelled by the requester (us). */
  CLIENT = 'CLIENTE',
  /** No biometric data exists for the CPF. */
  NO_BIOMETRY = 'SEMBIOM',
}
registerEnumType(CancellationCode, { name: 'CancellationCode' });

@ObjectType({ description: 'Who asked for the proof of life.' })
export class Requester {
  @Field(() => String) cnpj!: string;
  @Field(() => String) name!: string;
  @Field(() => String) service!: string;
}

@ObjectType()
export class ProofOfLifeResponse {
  @Field(() => Boolean) authorized!: boolean;
  @Field(() => DateTimeScalar) answeredAt!: Date;
  @Field(() => DenialReason, { nullable: true }) denialReason!: DenialReason | null;
}

@ObjectType({ description: 'The gov.br facial-biometry seal (transactions created with a seal window).' })
export class Seal {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Validations at or after this moment count.' })
  reuseFrom!: Date | null;
  @Field(() => Boolean) available!: boolean;
  @Field(() => DateTimeScalar, { nullable: true, description: "The citizen's last facial validation." })
  validatedAt!: Date | null;
  @Field(() => Boolean) used!: boolean;
}

@ObjectType()
export class Cancellation {
  @Field(() => CancellationCode, { nullable: true, description: 'Null for a code this gateway does not know (see rawCode).' })
  code!: CancellationCode | null;
  @Field(() => String) rawCode!: string;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) cancelledAt!: Date | null;
}

@ObjectType({ description: 'A gov.br proof-of-life request and what the citizen answered.' })
export class Transaction {
  @Field(() => UUIDScalar) id!: string;
  @Field(() => CPFScalar) cpf!: string;
  @Field(() => TransactionStatus) status!: TransactionStatus;
  @Field(() => ProofOfLifeKind) kind!: ProofOfLifeKind;
  @Field(() => ProofOfLifeCategory, { nullable: true }) category!: ProofOfLifeCategory | null;
  @Field(() => String) reason!: string;
  @Field(() => Requester) requester!: Requester;
  @Field(() => String, { description: 'Upstream API version used to create it: vbeta1 (simple), vbeta2 or vbeta4 (seal).' })
  apiVersion!: string;
  @Field(() => ProofOfLifeResponse, { nullable: true }) response!: ProofOfLifeResponse | null;
  @Field(() => DenialReason, { nullable: true }) denialReason!: DenialReason | null;
  @Field(() => Seal, { nullable: true }) seal!: Seal | null;
  @Field(() => Int, { nullable: true }) sealReuseWindowMinutes!: number | null;
  @Field(() => Boolean, { description: 'Authorised at creation by a fresh facial-biometry seal, without a citizen interaction.' })
  autoAuthorized!: boolean;
  @Field(() => Cancellation, { nullable: true }) cancellation!: Cancellation | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) expiresAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  @Field(() => SafeIntScalar, {
    description: 'Seq of the event that recorded this state. A cache keeps the higher version; a replayed older event must not overwrite a newer snapshot.',
  })
  version!: number;

  static from(r: TransactionRow): Transaction {
    const date = (s: string | null) => (s ? new Date(s) : null);
    const response = r.response
      ? {
          authorized: r.response.authorized,
          answeredAt: new Date(r.response.answeredAt),
          denialReason: (r.response.denialReason as DenialReason | null) ?? null,
        }
      : null;
    const knownCodes: string[] = Object.values(CancellationCode);
    return Object.assign(new Transaction(), {
      id: r.id,
      cpf: r.cpf,
      status: r.status as TransactionStatus,
      kind: r.kind as ProofOfLifeKind,
      category: (r.category as ProofOfLifeCategory | null) ?? null,
      reason: r.reason,
      requester: r.requester,
      apiVersion: r.apiVersion,
      response,
      denialReason: response?.denialReason ?? null,
      seal: r.seal
        ? { reuseFrom: date(r.seal.reuseFrom), available: r.seal.available, validatedAt: date(r.seal.validatedAt), used: r.seal.used }
        : null,
      sealReuseWindowMinutes: r.sealReuseWindowMinutes,
      autoAuthorized: r.autoAuthorized,
      cancellation: r.cancellation
        ? {
            code: knownCodes.includes(r.cancellation.code) ? (r.cancellation.code as CancellationCode) : null,
            rawCode: r.cancellation.code,
            reason: r.cancellation.reason,
            cancelledAt: date(r.cancellation.cancelledAt),
          }
        : null,
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      updatedAt: r.updatedAt,
      version: r.version,
    });
  }
}
