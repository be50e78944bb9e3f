import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './node.type';
import type { TransactionRow } from '../src/store/schema';
import { CPFScalar, DateTimeScalar, SafeIntScalar } from './scalars';

export enum TransactionStatus {
  REQUESTING = 'REQUESTING',
  PENDING = 'PENDING',
  AUTHORIZED = 'AUTHORIZED',
  DENIED = 'DENIED',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
  UNCONFIRMED = 'UNCONFIRMED',
  FAILED = 'FAILED',
}
registerEnumType(TransactionStatus, {
  name: 'TransactionStatus',
  description: 'Derived: the upstream has no status field (answer → AUTHORIZED/DENIED, cancellation → CANCELLED, past expiry → EXPIRED).',
  valuesConfig: {
    REQUESTING: { description: 'Recorded by the gateway; the request to gov.br is in flight (at most a few upstream timeouts).' },
    PENDING: { description: 'gov.br has it; waiting for the citizen.' },
    AUTHORIZED: { description: 'The citizen gave the proof of life, or a fresh seal authorised it at creation (see autoAuthorized). Final.' },
    DENIED: { description: 'The citizen refused or a check failed (see denialReason). Final.' },
    EXPIRED: { description: 'No answer by expiresAt. gov.br never marks expiry: the gateway derives it from the clock. Final.' },
    CANCELLED: { description: 'Cancelled by cancelProofOfLife, or by gov.br because the citizen has no biometry; see cancellation. Final.' },
    UNCONFIRMED: {
      description:
        'The request may have reached gov.br, but its answer never reached the gateway (timeout, upstream error, crash). It is never re-sent automatically. A person should check with gov.br / the citizen whether a notification arrived before asking again: a new request notifies the citizen again.',
    },
    FAILED: { description: 'The request provably never took effect at gov.br (refused or never sent); it is safe to ask again.' },
  },
});

export enum ProofOfLifeKind {
  FACIAL_BIOMETRY = 'B',
  CONFIRMATION = 'C',
}
registerEnumType(ProofOfLifeKind, {
  name: 'ProofOfLifeKind',
  description: 'How the citizen answers in the gov.br app (upstream `tipo`).',
  valuesConfig: {
    FACIAL_BIOMETRY: { description: '`B`: the citizen passes a facial-biometry check in the app.' },
    CONFIRMATION: { description: '`C`: the citizen only confirms in the app, without biometry.' },
  },
});

/** The Prova de Vida API version a transaction was created with (its URL path segment, upper-cased). */
export enum ProvaDeVidaApiVersion {
  VBETA1 = 'VBETA1',
  VBETA2 = 'VBETA2',
  VBETA4 = 'VBETA4',
}
registerEnumType(ProvaDeVidaApiVersion, {
  name: 'ProvaDeVidaApiVersion',
  description: 'The Prova de Vida API version a transaction was created with: the `/api/<version>/transacoes` path segment.',
  valuesConfig: {
    VBETA1: { description: 'vbeta1: the simplified transaction (removed from the manual in 2021; PDV_LEGACY_VBETA1_CREATE).' },
    VBETA2: { description: 'vbeta2: with the facial-biometry seal.' },
    VBETA4: { description: 'vbeta4: the current version (categoria, motivo_negacao).' },
  },
});

export enum ProofOfLifeCategory {
  PROOF_OF_LIFE = 'PV',
  OTHER = 'OU',
}
registerEnumType(ProofOfLifeCategory, {
  name: 'ProofOfLifeCategory',
  description: 'What the request is for (upstream `categoria`, vbeta4 only).',
  valuesConfig: {
    PROOF_OF_LIFE: { description: '`PV`: a proof of life.' },
    OTHER: { description: '`OU`: any other confirmation.' },
  },
});

export enum DenialReason {
  /** A `motivo_negacao` the manual does not document (yet): see `denialReasonCode`. */
  UNKNOWN = 0,
  CITIZEN_REFUSED = 1,
  FACIAL_CHECK_FAILED = 2,
  BIOGRAPHIC_CHECK_FAILED = 3,
  FACIAL_AND_BIOGRAPHIC_CHECK_FAILED = 4,
}
registerEnumType(DenialReason, {
  name: 'DenialReason',
  description: 'Why a proof of life was denied (vbeta4 `motivo_negacao`). UNKNOWN: a code this gateway does not know; the raw code is in `denialReasonCode`.',
  valuesConfig: {
    UNKNOWN: { description: 'Not one of the documented codes 1–4; see denialReasonCode.' },
    CITIZEN_REFUSED: { description: '1: the citizen chose not to authorise.' },
    FACIAL_CHECK_FAILED: { description: '2: facial biometry check failed.' },
    BIOGRAPHIC_CHECK_FAILED: { description: '3: biographic data check failed.' },
    FACIAL_AND_BIOGRAPHIC_CHECK_FAILED: { description: '4: both checks failed.' },
  },
});

export enum CancellationCode {
  /** Cancelled by the requester (us). */
  CLIENT = 'CLIENTE',
  /** No biometric data exists for the CPF. */
  NO_BIOMETRY = 'SEMBIOM',
  /** A code this gateway does not know; see `rawCode`. */
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(CancellationCode, {
  name: 'CancellationCode',
  description: 'Why a transaction was cancelled (vbeta4 `cancelamento.codigo`).',
  valuesConfig: {
    CLIENT: { description: 'CLIENTE: cancelled by the requester.' },
    NO_BIOMETRY: { description: 'SEMBIOM: no biometric data exists for the CPF.' },
    UNKNOWN: { description: 'Not a documented code; see rawCode.' },
  },
});

/** Known codes → enum; an unknown one → UNKNOWN (the raw code is exposed beside it). */
function denialReasonOf(known: number | null, raw: string | null | undefined): DenialReason | null {
  if (known !== null && known >= 1 && known <= 4) return known as DenialReason;
  return raw ? DenialReason.UNKNOWN : null;
}

@ObjectType({ description: 'Who asked for the proof of life.' })
export class Requester {
  @Field(() => String, { description: "The requesting agency's CNPJ (`solicitante.cnpj`; this gateway sends PDV_REQUESTER_CNPJ)." })
  cnpj!: string;
  @Field(() => String, { description: 'The agency name the citizen sees (`solicitante.nome`).' }) name!: string;
  @Field(() => String, { description: 'The service the request is for (`solicitante.servico`), e.g. AppGovBr.' }) service!: string;
}

@ObjectType({ description: "The citizen's answer (upstream `resposta`)." })
export class ProofOfLifeResponse {
  @Field(() => Boolean, { description: 'True: proof of life given (status AUTHORIZED). False: denied (status DENIED).' }) authorized!: boolean;
  @Field(() => DateTimeScalar, { description: 'When the citizen answered (`resposta.data`); the creation time for a seal authorisation.' }) answeredAt!: Date;
  @Field(() => DenialReason, { nullable: true, description: 'Null when authorized, or when gov.br sent no `motivo_negacao` (before vbeta4).' })
  denialReason!: DenialReason | null;
  @Field(() => String, { nullable: true, description: '`motivo_negacao` exactly as the upstream sent it (also when denialReason is UNKNOWN).' })
  denialReasonCode!: string | null;
}

@ObjectType({ description: 'The gov.br facial-biometry seal (transactions created with a seal window).' })
export class Seal {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Validations at or after this moment count.' })
  reuseFrom!: Date | null;
  @Field(() => Boolean, { description: 'gov.br has a facial validation of the citizen on record (`selogovbr.disponivel`).' }) available!: boolean;
  @Field(() => DateTimeScalar, { nullable: true, description: "The citizen's last facial validation." })
  validatedAt!: Date | null;
  @Field(() => Boolean, { description: 'The seal authorised this transaction at creation (`selogovbr.usado`); see Transaction.autoAuthorized.' }) used!: boolean;
}

@ObjectType({ description: 'How a transaction was cancelled (vbeta4 `cancelamento`).' })
export class Cancellation {
  @Field(() => CancellationCode, { description: 'UNKNOWN for a code this gateway does not know (see rawCode).' })
  code!: CancellationCode;
  @Field(() => String, { description: '`cancelamento.codigo` exactly as gov.br sent it, e.g. CLIENTE or SEMBIOM.' }) rawCode!: string;
  @Field(() => String, { nullable: true, description: "gov.br's free-text reason (`cancelamento.motivo`, usually Portuguese); null when it sent none." })
  reason!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was cancelled (`cancelamento.cancelada_em`); null when gov.br sent no time.' })
  cancelledAt!: Date | null;
}

@ObjectType({ implements: Node, description: 'A gov.br proof-of-life request and what the citizen answered.' })
export class Transaction {
  @Field(() => ID, {
    description: "Global id of the gateway's own record, given before gov.br is asked and never changed (subscriptions, queries and idempotent retries use it).",
  })
  id!: string;
  @Field(() => String, { nullable: true, description: "gov.br's id for it; null until gov.br's answer to the request arrives (REQUESTING, UNCONFIRMED, FAILED)." })
  upstreamId!: string | null;
  @Field(() => CPFScalar, { description: 'The citizen asked (see the CPF scalar for masking and pseudonyms).' }) cpf!: string;
  @Field(() => TransactionStatus, { description: 'Where the request is; derived by the gateway from what gov.br returns and the clock.' }) status!: TransactionStatus;
  @Field(() => ProofOfLifeKind, { description: 'How the citizen is asked to answer (`tipo`).' }) kind!: ProofOfLifeKind;
  @Field(() => ProofOfLifeCategory, { nullable: true, description: '`categoria` (vbeta4); null when the request had none and gov.br returned none.' })
  category!: ProofOfLifeCategory | null;
  @Field(() => String, { description: 'Why the citizen is asked (`motivo`), shown to them in the app.' }) reason!: string;
  @Field(() => Requester, { description: 'The agency and service named in the request (`solicitante`).' }) requester!: Requester;
  @Field(() => ProvaDeVidaApiVersion, { description: 'Upstream API version used to create it.' })
  apiVersion!: ProvaDeVidaApiVersion;
  @Field(() => ProofOfLifeResponse, { nullable: true, description: "The citizen's answer; null unless they answered (AUTHORIZED or DENIED)." })
  response!: ProofOfLifeResponse | null;
  @Field(() => DenialReason, { nullable: true, description: 'Same as response.denialReason: null unless DENIED with a reason code.' }) denialReason!: DenialReason | null;
  @Field(() => String, { nullable: true, description: 'Raw `motivo_negacao` beside denialReason (UNKNOWN when not documented).' })
  denialReasonCode!: string | null;
  @Field(() => Seal, { nullable: true, description: 'The facial-biometry seal as gov.br reported it (`selogovbr`); null when it reported none (vbeta1, or no answer from gov.br yet).' })
  seal!: Seal | null;
  @Field(() => Int, { nullable: true, description: 'The seal window requested, in minutes (`selogovbr_reuso_em`); null for a transaction without a seal.' })
  sealReuseWindowMinutes!: number | null;
  @Field(() => Boolean, { description: 'Authorised at creation by a fresh facial-biometry seal, without a citizen interaction.' })
  autoAuthorized!: boolean;
  @Field(() => Cancellation, { nullable: true, description: 'Null unless the transaction was cancelled (status CANCELLED).' }) cancellation!: Cancellation | null;
  @Field(() => DateTimeScalar, { description: "gov.br's creation time (`criado_em`), or the gateway's clock when gov.br sent none (vbeta1, or no answer yet)." })
  createdAt!: Date;
  @Field(() => DateTimeScalar, { description: 'When the request expires unanswered (`expiracao_em`: creation + expiresInMinutes).' }) expiresAt!: Date;
  @Field(() => DateTimeScalar, { description: 'When the gateway last recorded a change to it.' }) updatedAt!: Date;
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
          denialReason: denialReasonOf(r.response.denialReason, r.response.denialReasonCode),
          // Rows written before the raw code was kept: the known number is the code.
          denialReasonCode: r.response.denialReasonCode ?? (r.response.denialReason === null ? null : String(r.response.denialReason)),
        }
      : null;
    const knownCodes: string[] = [CancellationCode.CLIENT, CancellationCode.NO_BIOMETRY];
    return Object.assign(new Transaction(), {
      id: r.id,
      upstreamId: r.upstreamId,
      cpf: r.cpf,
      status: r.status as TransactionStatus,
      kind: r.kind as ProofOfLifeKind,
      category: (r.category as ProofOfLifeCategory | null) ?? null,
      reason: r.reason,
      requester: r.requester,
      apiVersion: r.apiVersion.toUpperCase() as ProvaDeVidaApiVersion,
      response,
      denialReason: response?.denialReason ?? null,
      denialReasonCode: response?.denialReasonCode ?? null,
      seal: r.seal
        ? { reuseFrom: date(r.seal.reuseFrom), available: r.seal.available, validatedAt: date(r.seal.validatedAt), used: r.seal.used }
        : null,
      sealReuseWindowMinutes: r.sealReuseWindowMinutes,
      autoAuthorized: r.autoAuthorized,
      cancellation: r.cancellation
        ? {
            code: knownCodes.includes(r.cancellation.code) ? (r.cancellation.code as CancellationCode) : CancellationCode.UNKNOWN,
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
