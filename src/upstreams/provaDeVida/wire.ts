/**
 * The upstream's wire format (Portuguese field names, stringly-typed numbers,
 * sometimes-malformed timestamps) and its mapping into our types. Nothing in
 * here does I/O; `client.ts` feeds it bodies and status codes.
 */
import { z } from 'zod';
import type {
  Cancellation,
  CreateProofOfLifeRequest,
  DenialReasonCode,
  MessageKind,
  ProofOfLifeCategory,
  ProofOfLifeKind,
  ProofOfLifeResponse,
  ProvaDeVidaApiVersion,
  SealInfo,
  SendMessageRequest,
  UpstreamMessage,
  UpstreamTransaction,
} from './types';

// ---------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id in a 201 body. vbeta1 transactions answer with the bare UUID as text;
 * the seed prints the message id as `{“7f000101-…”}` — neither JSON nor bare —
 * and a JSON-string form is the other plausible reading, so all three are
 * accepted, with straight or typographic quotes and surrounding whitespace.
 * Only hex UUIDs are accepted (the seed's `fb5g8247-…` example is a typo).
 * @returns the lowercase UUID, or null when the body is anything else.
 */
export function parseCreatedId(body: string): string | null {
  let s = body.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  const quoted = /^["“”'‘’](.*)["“”'‘’]$/s.exec(s);
  if (quoted) s = (quoted[1] ?? '').trim();
  return UUID.test(s) ? s.toLowerCase() : null;
}

// ---------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------

const TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Lenient ISO-8601 reader for the upstream's timestamps.
 *
 * - `2021-05-10T14:14:38.083677-03:00`: fraction kept to the millisecond
 *   (truncated, not rounded).
 * - `2019-06-16T03:35.083677-03:00` (the manual's malformed example): read as
 *   HH:MM with the seconds lost and the fraction dropped → 03:35:00.000. The
 *   manual's numbers confirm this reading: that `reusar_apartir` is
 *   `criado_em` 2021-05-10T14:14:38.083677 minus 999999 minutes =
 *   2019-06-16T03:35:38.083677, i.e. the printer dropped `:38`. The result is
 *   therefore at most 60 s early, which for a "validations at or after"
 *   bound only errs towards accepting a validation the upstream also accepted.
 *   Reading it as MM:SS.fraction (hour missing) would be hours off.
 * - `Z`, `±HH:MM`, `±HHMM`, `±HH`; no offset → `-03:00` (the upstream's
 *   Brasília offset; Brazil has had no DST since 2019).
 * @returns null when the text is not a real calendar date/time.
 */
export function parseUpstreamTime(s: string): Date | null {
  if (typeof s !== 'string') return null;
  const m = TIME.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, off] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = sec === undefined ? 0 : Number(sec);
  // No seconds means the fraction belonged to the lost seconds: meaningless.
  const millis = sec === undefined || frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;

  let offsetMinutes = -180;
  if (off !== undefined && off.toUpperCase() !== 'Z') {
    const sign = off.startsWith('-') ? -1 : 1;
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  } else if (off !== undefined) {
    offsetMinutes = 0;
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return new Date(utc);
}

// ---------------------------------------------------------------------------
// Schemas (responses)
// ---------------------------------------------------------------------------

/** A required upstream timestamp; a value we cannot read makes the body malformed. */
const zTime = z.string().transform((s, ctx) => {
  const d = parseUpstreamTime(s);
  if (d === null) {
    ctx.addIssue({ code: 'custom', message: 'unreadable timestamp' });
    return z.NEVER;
  }
  return d;
});

/** An optional timestamp: absent, null or empty → null. */
const zOptTime = z
  .union([z.string(), z.null(), z.undefined()])
  .transform((s, ctx) => {
    if (s === null || s === undefined || s.trim() === '') return null;
    const d = parseUpstreamTime(s);
    if (d === null) {
      ctx.addIssue({ code: 'custom', message: 'unreadable timestamp' });
      return z.NEVER;
    }
    return d;
  })
  // zod 4 treats a key whose transform has a non-optional output as required.
  .optional();

/** The manual sends numbers and booleans as strings in its examples; accept both spellings. */
const zBool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);

/**
 * `motivo_negacao`: documented 1–4, sent as a number (or a string in some
 * examples). Kept as its raw text; a code we do not know is not a broken
 * answer (the transaction was still denied), so it never fails the read.
 */
const zDenial = z
  .union([z.number(), z.string(), z.null(), z.undefined()])
  .transform((n): string | null => (n === null || n === undefined || String(n).trim() === '' ? null : String(n).trim()))
  .optional();

const zOptString = z
  .union([z.string(), z.null(), z.undefined()])
  .transform((s) => (s === undefined || s === null || s === '' ? null : s))
  .optional();

/**
 * `expires_in` is a number in the current manual and a placeholder text in
 * the 2021 one; RFC 6749 §5.1 makes it only RECOMMENDED. Unreadable or absent
 * → null, and the client falls back to a short lifetime of its own.
 */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z
    .unknown()
    .transform((v): number | null => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : Number.NaN;
      return Number.isFinite(n) && n > 0 ? n : null;
    })
    .optional(),
});
export type TokenResponse = z.output<typeof tokenResponseSchema>;

const requesterSchema = z.object({
  cnpj: z.string(),
  nome: z.string(),
  servico: zOptString,
});

const sealSchema = z.object({
  reusar_apartir: zOptTime,
  disponivel: zBool,
  data: zOptTime,
  usado: zBool.optional(),
});

const responseSchema = z.object({
  autorizado: zBool,
  data: zTime,
  motivo_negacao: zDenial,
});

const cancellationSchema = z.object({
  codigo: z.string().min(1),
  motivo: zOptString,
  cancelada_em: zOptTime,
});

export const transactionSchema = z.object({
  id: z.string().min(1),
  solicitante: requesterSchema,
  cpf: zOptString,
  motivo: z.string(),
  // Enumerations are read as text: an unknown value is reported, never fatal.
  tipo: z.string(),
  categoria: zOptString,
  criado_em: zTime,
  expiracao_em: zTime,
  selogovbr: sealSchema.nullish(),
  resposta: responseSchema.nullish(),
  cancelamento: cancellationSchema.nullish(),
});
export type WireTransaction = z.output<typeof transactionSchema>;

export const messageSchema = z.object({
  id: z.string().min(1),
  remetente: z.object({ cnpj: z.string(), nome: z.string() }),
  titulo: z.string(),
  conteudo: z.string(),
  tipo: z.string(),
  cpf: zOptString,
  criado_em: zOptTime,
});
export type WireMessage = z.output<typeof messageSchema>;

/** 400: `{"status":"BAD_REQUEST","message":…,"errors":{field: msg}}`. */
export const badRequestSchema = z.object({
  errors: z.record(z.string(), z.unknown()),
});

/** 422: Spring's default error body; only `message` matters to us. */
export const unprocessableSchema = z.object({
  message: z.string(),
});

// ---------------------------------------------------------------------------
// Mapping into our types
// ---------------------------------------------------------------------------

/** Called once per unknown enumeration value found in an answer (field name, raw value). */
export type OnUnknownValue = (field: string, raw: string) => void;

const DENIAL_CODES: Readonly<Record<string, DenialReasonCode>> = { '1': 1, '2': 2, '3': 3, '4': 4 };

function known<T extends string>(values: readonly T[], raw: string | null, field: string, onUnknown?: OnUnknownValue): T | null {
  if (raw === null) return null;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  onUnknown?.(field, raw);
  return null;
}

/**
 * An upstream id must be a UUID: it names the transaction in our store and in
 * every later call. The manual's own examples carry one typo (`fb5g8247-…`,
 * `g` is not hex); such an id is refused here, at the boundary, before
 * anything is stored or anyone is told.
 */
export const upstreamIdSchema = z.string().regex(UUID);

export function toTransaction(w: WireTransaction, onUnknown?: OnUnknownValue): UpstreamTransaction {
  const seal: SealInfo | null = w.selogovbr
    ? {
        reuseFrom: w.selogovbr.reusar_apartir ?? null,
        available: w.selogovbr.disponivel,
        validatedAt: w.selogovbr.data ?? null,
        used: w.selogovbr.usado ?? false,
      }
    : null;
  let response: ProofOfLifeResponse | null = null;
  if (w.resposta) {
    // vbeta2 never sends a reason; an authorised answer has none either.
    const raw = w.resposta.autorizado ? null : (w.resposta.motivo_negacao ?? null);
    const code = raw === null ? null : (DENIAL_CODES[raw] ?? null);
    if (raw !== null && code === null) onUnknown?.('motivo_negacao', raw);
    response = { authorized: w.resposta.autorizado, answeredAt: w.resposta.data, denialReason: code, denialReasonCode: raw };
  }
  let cancellation: Cancellation | null = null;
  if (w.cancelamento) {
    known(['CLIENTE', 'SEMBIOM'], w.cancelamento.codigo, 'cancelamento.codigo', onUnknown);
    cancellation = { code: w.cancelamento.codigo, reason: w.cancelamento.motivo ?? null, cancelledAt: w.cancelamento.cancelada_em ?? null };
  }
  return {
    id: w.id.toLowerCase(),
    cpf: w.cpf ?? null,
    requester: { cnpj: w.solicitante.cnpj, name: w.solicitante.nome, service: w.solicitante.servico ?? '' },
    reason: w.motivo,
    kind: known<ProofOfLifeKind>(['B', 'C'], w.tipo, 'tipo', onUnknown),
    kindCode: w.tipo,
    category: known<ProofOfLifeCategory>(['PV', 'OU'], w.categoria ?? null, 'categoria', onUnknown),
    createdAt: w.criado_em,
    expiresAt: w.expiracao_em,
    seal,
    response,
    cancellation,
  };
}

export function toMessage(w: WireMessage, onUnknown?: OnUnknownValue): UpstreamMessage {
  return {
    id: w.id.toLowerCase(),
    sender: { cnpj: w.remetente.cnpj, name: w.remetente.nome },
    title: w.titulo,
    content: w.conteudo,
    kind: known<MessageKind>(['D', 'B'], w.tipo, 'tipo', onUnknown),
    cpf: w.cpf ?? null,
    createdAt: w.criado_em ?? null,
  };
}

// ---------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------

export interface WireCreateTransactionBody {
  solicitante: { cnpj: string; nome: string; servico: string };
  cpf: string;
  motivo: string;
  tipo: string;
  expiracao_em: string;
  selogovbr_reuso_em?: string;
  categoria?: string;
  mensagem_falha?: string;
  mensagem_sucesso?: string;
}

/**
 * `version` is the path the body goes to: `vbeta1` (legacy simple) has no
 * seal window, only `vbeta4` knows `categoria`; `selogovbr_reuso_em` is sent
 * only when a window was asked for (optional since 2021). Numbers go out as strings because
 * every example in the seed and manual does so.
 */
export function toCreateTransactionBody(
  req: CreateProofOfLifeRequest,
  version: 'vbeta1' | ProvaDeVidaApiVersion,
): WireCreateTransactionBody {
  const body: WireCreateTransactionBody = {
    solicitante: { cnpj: req.requester.cnpj, nome: req.requester.name, servico: req.requester.service },
    cpf: req.cpf,
    motivo: req.reason,
    tipo: req.kind,
    expiracao_em: String(req.expiresInMinutes),
  };
  if (version !== 'vbeta1' && req.sealReuseWindowMinutes !== undefined) {
    body.selogovbr_reuso_em = String(req.sealReuseWindowMinutes);
  }
  if (version === 'vbeta4' && req.category !== undefined) body.categoria = req.category;
  if (req.failureMessage !== undefined) body.mensagem_falha = req.failureMessage;
  if (req.successMessage !== undefined) body.mensagem_sucesso = req.successMessage;
  return body;
}

export interface WireSendMessageBody {
  remetente: { cnpj: string; nome: string };
  titulo: string;
  conteudo: string;
  tipo: MessageKind;
  cpf?: string;
}

export function toSendMessageBody(req: SendMessageRequest): WireSendMessageBody {
  const body: WireSendMessageBody = {
    remetente: { cnpj: req.sender.cnpj, nome: req.sender.name },
    titulo: req.title,
    conteudo: req.content,
    // The seed says "Padrão B" for every message; the current manual uses D
    // for a single citizen, and a broadcast must not carry a cpf.
    tipo: req.cpf === undefined ? 'B' : 'D',
  };
  if (req.cpf !== undefined) body.cpf = req.cpf;
  return body;
}

// ---------------------------------------------------------------------------
// Validation errors → our field names
// ---------------------------------------------------------------------------

const FIELD_NAMES: Readonly<Record<string, string>> = {
  cpf: 'cpf',
  motivo: 'reason',
  tipo: 'kind',
  expiracao_em: 'expiresInMinutes',
  selogovbr_reuso_em: 'sealReuseWindowMinutes',
  categoria: 'category',
  mensagem_falha: 'failureMessage',
  mensagem_sucesso: 'successMessage',
  titulo: 'title',
  conteudo: 'content',
  solicitante: 'requester',
  remetente: 'sender',
  nome: 'name',
  servico: 'service',
};

/** `solicitante.servico` → `requester.service`; names we do not know are kept as sent. */
export function toOurFieldName(upstream: string): string {
  return upstream
    .split('.')
    .map((part) => FIELD_NAMES[part] ?? part)
    .join('.');
}

/** Our own text per field: the upstream's Portuguese message never leaves this module. */
function genericFieldMessage(ourField: string): string {
  if (ourField === 'cpf') return 'invalid CPF';
  if (ourField === 'kind') return 'invalid kind';
  if (ourField === 'category') return 'invalid category';
  return 'invalid value';
}

/** Fields of a 400 body, renamed; null when the body is not the documented shape. */
export function mapBadRequestFields(body: unknown): Record<string, string> | null {
  const parsed = badRequestSchema.safeParse(body);
  if (!parsed.success) return null;
  const out: Record<string, string> = {};
  for (const key of Object.keys(parsed.data.errors)) {
    const ours = toOurFieldName(key);
    out[ours] = genericFieldMessage(ours);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * A 422 names no field, only a sentence such as "A não é um tipo válido
 * [B,C]"; the field is guessed from the Portuguese noun it mentions.
 */
export function inferUnprocessableFields(body: unknown): Record<string, string> {
  const parsed = unprocessableSchema.safeParse(body);
  const text = parsed.success ? parsed.data.message.toLowerCase() : '';
  if (/\btipo\b/.test(text)) return { kind: genericFieldMessage('kind') };
  if (/\bcategoria\b/.test(text)) return { category: genericFieldMessage('category') };
  if (/\bcpf\b/.test(text)) return { cpf: genericFieldMessage('cpf') };
  return { _: 'rejected by upstream' };
}
