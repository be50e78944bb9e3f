/**
 * Our own view of the gov.br Prova de Vida upstream. The client maps the
 * upstream's Portuguese fields into these types; nothing outside
 * `src/upstreams/provaDeVida/` knows the upstream's paths or field names.
 */

/** `vbeta2` is what the seed documents; `vbeta4` the current manual (categories, denial reasons, cancellation). */
export type ProvaDeVidaApiVersion = 'vbeta2' | 'vbeta4';

/** B: facial biometry in the app; C: a simple confirmation. */
export type ProofOfLifeKind = 'B' | 'C';

/** PV: proof of life; OU: other (vbeta4 only). */
export type ProofOfLifeCategory = 'PV' | 'OU';

export interface Requester {
  cnpj: string;
  name: string;
  service: string;
}

export interface CreateProofOfLifeRequest {
  requester: Requester;
  /** 11 digits, no punctuation. */
  cpf: string;
  reason: string;
  kind: ProofOfLifeKind;
  expiresInMinutes: number;
  /**
   * Present → the seal may authorise at once (`selogovbr_reuso_em`); absent → the
   * field is left out (the manual: "O parâmetro é opcional") and the citizen
   * answers in the app. Same path either way, unless the client is configured
   * for the legacy vbeta1 create.
   */
  sealReuseWindowMinutes?: number;
  /** Sent only on vbeta4. */
  category?: ProofOfLifeCategory;
  failureMessage?: string;
  successMessage?: string;
}

export interface SealInfo {
  /** Validations at or after this moment count (criado_em − window); null when the upstream omits it. */
  reuseFrom: Date | null;
  available: boolean;
  /** The citizen's last facial validation; null when there is none. */
  validatedAt: Date | null;
  used: boolean;
}

/** 1 citizen refused; 2 facial check failed; 3 biographic data check failed; 4 both (vbeta4). */
export type DenialReasonCode = 1 | 2 | 3 | 4;

export interface ProofOfLifeResponse {
  authorized: boolean;
  answeredAt: Date;
  /** A documented reason; null when there is none or the code is not one we know (see `denialReasonCode`). */
  denialReason: DenialReasonCode | null;
  /** `motivo_negacao` exactly as sent (as text), known or not; null when absent. */
  denialReasonCode: string | null;
}

export interface Cancellation {
  /** `CLIENTE` (cancelled by the requester) or `SEMBIOM` (no biometry for the CPF); others kept verbatim. */
  code: string;
  reason: string | null;
  cancelledAt: Date | null;
}

/**
 * A transaction as the upstream reports it. There is no status field upstream:
 * status is derived from what is present (see `src/flows/proof-of-life.ts`).
 */
export interface UpstreamTransaction {
  id: string;
  /** Absent when the transaction was created through vbeta1 and read back. */
  cpf: string | null;
  requester: Requester;
  reason: string;
  /** Null when `tipo` is not one we know; `kindCode` keeps it. */
  kind: ProofOfLifeKind | null;
  kindCode: string;
  category: ProofOfLifeCategory | null;
  createdAt: Date;
  expiresAt: Date;
  seal: SealInfo | null;
  response: ProofOfLifeResponse | null;
  cancellation: Cancellation | null;
}

/** What a create returns: vbeta1 gives only the id; vbeta2/vbeta4 give the whole object. */
export type CreatedTransaction =
  | { id: string; version: 'vbeta1'; transaction: null }
  | { id: string; version: ProvaDeVidaApiVersion; transaction: UpstreamTransaction };

export type MessageKind = 'D' | 'B';

export interface SendMessageRequest {
  sender: { cnpj: string; name: string };
  title: string;
  content: string;
  /** Present → direct (`D`) to this CPF (11 digits); absent → broadcast (`B`). */
  cpf?: string;
}

export interface UpstreamMessage {
  id: string;
  sender: { cnpj: string; name: string };
  title: string;
  content: string;
  /** Null when `tipo` is not one we know. */
  kind: MessageKind | null;
  cpf: string | null;
  createdAt: Date | null;
}

/** Everything the gateway asks of Prova de Vida. Errors are the classes in `../errors.ts`. */
export interface ProvaDeVidaApi {
  createTransaction(req: CreateProofOfLifeRequest): Promise<CreatedTransaction>;
  /** Idempotent read: retried on 5xx/timeouts. */
  getTransaction(id: string): Promise<UpstreamTransaction>;
  /** vbeta4 only; on vbeta2 throws UpstreamConflictError(reason `UNSUPPORTED`). */
  cancelTransaction(id: string): Promise<void>;
  sendMessage(req: SendMessageRequest): Promise<string>;
  getMessage(id: string): Promise<UpstreamMessage>;
  deleteMessage(id: string): Promise<void>;
  close(): Promise<void>;
}
