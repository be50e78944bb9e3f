import { randomUUID } from 'node:crypto';
import { formatBrt, formatBrtSeconds } from './http';
import { lastFacialValidation, plannedAnswer, PDV_MAGIC_CPFS, type DenialReason } from './magic';

export type ApiVersion = 'vbeta1' | 'vbeta2' | 'vbeta4';
export type ReadVersion = 'vbeta2' | 'vbeta4';

/** Route patterns as reported by GET /counters and matched by POST /faults. */
export const ROUTES = [
  'POST /auth/oauth/token',
  'POST /api/vbeta1/transacoes',
  'POST /api/vbeta2/transacoes',
  'POST /api/vbeta4/transacoes',
  'GET /api/:version/transacoes/:id',
  'PUT /api/vbeta4/transacoes/:id/cancelar',
  'POST /api/vbeta1/mensagens',
  'GET /api/vbeta1/mensagens/:id',
  'DELETE /api/vbeta1/mensagens/:id',
] as const;
export type RoutePattern = (typeof ROUTES)[number];
/** `cancelamento.motivo` texts, verbatim from the manual's examples (2025-12). */
export const CANCEL_TEXTS = {
  CLIENTE: 'Cliente solicitou o cancelamento',
  SEMBIOM: 'Dados biográficos inexistentes para o cpf informado',
} as const;
/** The manual's SEMBIOM example: criado_em 20:24:45.987, cancelada_em 20:24:48.832. */
const SEMBIOM_DELAY_MS = 2845;

/** Requests matching no route (404/405) are still counted, under this key. */
export const OTHER_ROUTE = 'OTHER';

export interface Solicitante {
  cnpj: string;
  nome: string;
  servico: string;
}

export interface StoredTransaction {
  id: string;
  createdVia: ApiVersion;
  solicitante: Solicitante;
  cpf: string;
  motivo: string;
  tipo: 'B' | 'C';
  categoria: 'PV' | 'OU';
  createdMs: number;
  /** Sub-millisecond digits shared by criado_em and the timestamps derived from it. */
  micros: number;
  expiresMs: number;
  /** undefined for vbeta1 (no seal window was given). */
  reuseMinutes?: number;
  sealMs?: number;
  sealUsed: boolean;
  /** `motivoNegacao` is normally 1–4; the control API can plant an undocumented code (tolerant-reader tests). */
  resposta?: { autorizado: boolean; data: string; motivoNegacao?: DenialReason | number };
  cancelamento?: { codigo: 'CLIENTE' | 'SEMBIOM'; motivo: string; canceladaEm: string };
  mensagemFalha?: string;
  mensagemSucesso?: string;
}

export interface StoredMessage {
  id: string;
  remetente: { cnpj: string; nome: string };
  titulo: string;
  conteudo: string;
  tipo: 'D' | 'B';
  cpf: string | null;
  criadoEm: string;
  deleted: boolean;
}

export interface Fault {
  id: string;
  route: RoutePattern | '*';
  kind: 'status' | 'latency' | 'reset' | 'malformed';
  status: number;
  latencyMs: number;
  /** -1 = until cleared. */
  remaining: number;
  /** true = the request is handled for real (state changes) and only the reply is lost/mangled. */
  processed: boolean;
}

export interface CreateInput {
  version: ApiVersion;
  solicitante: Solicitante;
  cpf: string;
  motivo: string;
  tipo: 'B' | 'C';
  categoria: 'PV' | 'OU';
  expiracaoMinutes: number;
  reuseMinutes?: number;
  mensagemFalha?: string;
  mensagemSucesso?: string;
}

export interface StateOptions {
  now: () => Date;
  answerAfterMs: number;
  tokenTtlSeconds: number;
}

type AnswerResult = 'ok' | 'not_found' | 'conflict';

/** What survives a restart (counters and faults are test controls: memory only). */
export interface PdvSnapshot {
  version: 1;
  transactions: StoredTransaction[];
  messages: StoredMessage[];
  tokens: [string, number][];
  /** Transaction id → when (epoch ms, wall clock) the simulated citizen answers. */
  answersDue: [string, number][];
}

export class PdvState {
  readonly transactions = new Map<string, StoredTransaction>();
  readonly messages = new Map<string, StoredMessage>();
  /** token → expiry (ms since epoch, on the injected clock). */
  readonly tokens = new Map<string, number>();
  faults: Fault[] = [];
  answerAfterMs: number;
  private readonly answerTimers = new Map<string, NodeJS.Timeout>();
  /** Absolute due time of each pending answer, so a restart can schedule it again. */
  private readonly answersDue = new Map<string, number>();
  /** Called when state changes without a request (an answer timer fired): persistence hooks in here. */
  onChange: (() => void) | undefined;
  /** Pending latency faults; released early on reset so no request hangs forever. */
  private readonly delays = new Set<{ timer: NodeJS.Timeout; release: () => void }>();
  private counters = emptyCounters();

  constructor(private readonly opts: StateOptions) {
    this.answerAfterMs = opts.answerAfterMs;
  }

  nowMs(): number {
    return this.opts.now().getTime();
  }

  // ---- tokens ----------------------------------------------------------

  issueToken(): { token: string; jti: string; expiresIn: number } {
    const now = this.nowMs();
    // Expired tokens are pruned here so a long-running `npm start` does not grow without bound.
    for (const [t, exp] of this.tokens) if (exp <= now) this.tokens.delete(t);
    const token = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
    this.tokens.set(token, now + this.opts.tokenTtlSeconds * 1000);
    return { token, jti: randomUUID(), expiresIn: this.opts.tokenTtlSeconds };
  }

  tokenValid(token: string): boolean {
    const exp = this.tokens.get(token);
    return exp !== undefined && exp > this.nowMs();
  }

  // ---- transactions ----------------------------------------------------

  createTransaction(input: CreateInput): StoredTransaction {
    const now = this.nowMs();
    const micros = Math.floor(Math.random() * 1000);
    const tx: StoredTransaction = {
      id: randomUUID(),
      createdVia: input.version,
      solicitante: input.solicitante,
      cpf: input.cpf,
      motivo: input.motivo,
      tipo: input.tipo,
      categoria: input.categoria,
      createdMs: now,
      micros,
      expiresMs: now + input.expiracaoMinutes * 60_000,
      sealUsed: false,
      ...(input.reuseMinutes !== undefined ? { reuseMinutes: input.reuseMinutes } : {}),
      ...(input.mensagemFalha !== undefined ? { mensagemFalha: input.mensagemFalha } : {}),
      ...(input.mensagemSucesso !== undefined ? { mensagemSucesso: input.mensagemSucesso } : {}),
    };
    const seal = lastFacialValidation(input.cpf, now);
    if (seal !== undefined) tx.sealMs = seal;
    this.transactions.set(tx.id, tx);

    if (input.reuseMinutes !== undefined && seal !== undefined && seal >= now - input.reuseMinutes * 60_000) {
      tx.sealUsed = true;
      tx.resposta = { autorizado: true, data: formatBrt(now, micros) };
      return tx;
    }
    if (input.version === 'vbeta4' && input.cpf === PDV_MAGIC_CPFS.noBiometry) {
      // The manual's SEMBIOM example: the 201 already carries the cancellation, `cancelada_em` ≈3 s after `criado_em`.
      tx.cancelamento = { codigo: 'SEMBIOM', motivo: CANCEL_TEXTS.SEMBIOM, canceladaEm: formatBrt(now + SEMBIOM_DELAY_MS, micros) };
      return tx;
    }
    if (plannedAnswer(input.cpf) !== null) this.scheduleAnswer(tx.id, this.answerAfterMs);
    return tx;
  }

  private scheduleAnswer(id: string, afterMs: number): void {
    this.answersDue.set(id, Date.now() + afterMs);
    const timer = setTimeout(() => {
      this.answerTimers.delete(id);
      this.answersDue.delete(id);
      this.onChange?.();
      const tx = this.transactions.get(id);
      if (!tx || tx.resposta || tx.cancelamento) return;
      // A citizen cannot answer a transaction that has already expired.
      if (this.nowMs() >= tx.expiresMs) return;
      const plan = plannedAnswer(tx.cpf);
      if (plan === null) return;
      this.applyAnswer(tx, plan.authorized, plan.authorized ? undefined : plan.denialReason);
    }, afterMs);
    // The simulator must never be what keeps a test process or `npm start` alive.
    timer.unref();
    this.answerTimers.set(id, timer);
  }

  private applyAnswer(tx: StoredTransaction, autorizado: boolean, motivoNegacao: DenialReason | number | undefined): void {
    tx.resposta = {
      autorizado,
      data: formatBrt(this.nowMs(), Math.floor(Math.random() * 1000)),
      ...(autorizado ? {} : { motivoNegacao: motivoNegacao ?? 1 }),
    };
  }

  cancelAutoAnswer(id: string): void {
    const timer = this.answerTimers.get(id);
    if (timer) clearTimeout(timer);
    this.answerTimers.delete(id);
    this.answersDue.delete(id);
  }

  answerNow(id: string, authorized: boolean, denialReason: DenialReason | number | undefined): AnswerResult {
    const tx = this.transactions.get(id);
    if (!tx) return 'not_found';
    if (tx.resposta || tx.cancelamento) return 'conflict';
    this.cancelAutoAnswer(id);
    this.applyAnswer(tx, authorized, denialReason);
    return 'ok';
  }

  /** 'answered' when the citizen already replied (the API answers 422). Cancelling twice keeps the first cancellation. */
  cancelByClient(id: string): 'ok' | 'not_found' | 'answered' {
    const tx = this.transactions.get(id);
    if (!tx) return 'not_found';
    if (tx.resposta) return 'answered';
    this.cancelAutoAnswer(id);
    tx.cancelamento ??= { codigo: 'CLIENTE', motivo: CANCEL_TEXTS.CLIENTE, canceladaEm: formatBrt(this.nowMs()) };
    return 'ok';
  }

  expire(id: string): boolean {
    const tx = this.transactions.get(id);
    if (!tx) return false;
    this.cancelAutoAnswer(id);
    tx.expiresMs = this.nowMs() - 1000;
    return true;
  }

  // ---- messages --------------------------------------------------------

  createMessage(m: Omit<StoredMessage, 'id' | 'criadoEm' | 'deleted'>): StoredMessage {
    const msg: StoredMessage = { ...m, id: randomUUID(), criadoEm: formatBrt(this.nowMs()), deleted: false };
    this.messages.set(msg.id, msg);
    return msg;
  }

  // ---- counters ---------------------------------------------------------

  count(route: RoutePattern | typeof OTHER_ROUTE): void {
    this.counters.total++;
    this.counters.byRoute[route] = (this.counters.byRoute[route] ?? 0) + 1;
  }

  countRead(id: string): void {
    const entry = this.counters.byTransaction[id];
    if (entry) entry.reads++;
    else this.counters.byTransaction[id] = { reads: 1 };
  }

  countersSnapshot(): Counters {
    return structuredClone(this.counters);
  }

  resetCounters(): void {
    this.counters = emptyCounters();
  }

  // ---- faults ------------------------------------------------------------

  /** The first queued fault matching the route, consumed by one use. */
  takeFault(route: RoutePattern | typeof OTHER_ROUTE): Fault | undefined {
    const fault = this.faults.find((f) => f.route === '*' || f.route === route);
    if (!fault) return undefined;
    if (fault.remaining > 0) {
      fault.remaining--;
      if (fault.remaining === 0) this.faults = this.faults.filter((f) => f !== fault);
    }
    return fault;
  }

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.delays.delete(entry);
          resolve();
        }, ms),
        release: resolve,
      };
      this.delays.add(entry);
    });
  }

  // ---- lifecycle ---------------------------------------------------------

  /** Clears every timer. `releaseDelays` lets delayed requests finish (reset) instead of abandoning them (close). */
  clearTimers(releaseDelays: boolean): void {
    for (const t of this.answerTimers.values()) clearTimeout(t);
    this.answerTimers.clear();
    for (const d of this.delays) {
      clearTimeout(d.timer);
      if (releaseDelays) d.release();
    }
    this.delays.clear();
  }

  snapshot(): PdvSnapshot {
    return {
      version: 1,
      transactions: [...this.transactions.values()],
      messages: [...this.messages.values()],
      tokens: [...this.tokens],
      answersDue: [...this.answersDue],
    };
  }

  /** Loads a snapshot; pending answers fire at their saved time (at once if it passed while down). */
  restore(snap: PdvSnapshot): void {
    for (const tx of snap.transactions) this.transactions.set(tx.id, tx);
    for (const m of snap.messages) this.messages.set(m.id, m);
    for (const [t, exp] of snap.tokens) this.tokens.set(t, exp);
    for (const [id, due] of snap.answersDue) this.scheduleAnswer(id, Math.max(0, due - Date.now()));
  }

  reset(): void {
    this.clearTimers(true);
    this.answersDue.clear();
    this.transactions.clear();
    this.messages.clear();
    this.tokens.clear();
    this.faults = [];
    this.counters = emptyCounters();
    this.answerAfterMs = this.opts.answerAfterMs;
  }
}

export interface Counters {
  total: number;
  byRoute: Record<string, number>;
  byTransaction: Record<string, { reads: number }>;
}

function emptyCounters(): Counters {
  const byRoute: Record<string, number> = {};
  for (const r of ROUTES) byRoute[r] = 0;
  return { total: 0, byRoute, byTransaction: {} };
}

// ---- views (what the upstream shows) -----------------------------------------

export function transactionView(tx: StoredTransaction, version: ReadVersion): Record<string, unknown> {
  const v4 = version === 'vbeta4';
  const viaV1 = tx.createdVia === 'vbeta1';
  const view: Record<string, unknown> = { id: tx.id, solicitante: { ...tx.solicitante } };
  if (!viaV1) view['cpf'] = tx.cpf;
  view['motivo'] = tx.motivo;
  view['tipo'] = tx.tipo;
  if (v4) view['categoria'] = tx.categoria;
  view['criado_em'] = formatBrt(tx.createdMs, tx.micros);
  view['expiracao_em'] = formatBrt(tx.expiresMs, tx.micros);
  if (!viaV1 && tx.reuseMinutes !== undefined) {
    view['selogovbr'] = {
      reusar_apartir: formatBrt(tx.createdMs - tx.reuseMinutes * 60_000, tx.micros),
      disponivel: tx.sealMs !== undefined,
      ...(tx.sealMs !== undefined ? { data: formatBrtSeconds(tx.sealMs) } : {}),
      usado: tx.sealUsed,
    };
  }
  if (tx.resposta) {
    view['resposta'] = {
      autorizado: tx.resposta.autorizado,
      data: tx.resposta.data,
      ...(v4 && !tx.resposta.autorizado && tx.resposta.motivoNegacao !== undefined
        ? { motivo_negacao: tx.resposta.motivoNegacao }
        : {}),
    };
  }
  if (v4 && tx.cancelamento) {
    view['cancelamento'] = {
      codigo: tx.cancelamento.codigo,
      motivo: tx.cancelamento.motivo,
      cancelada_em: tx.cancelamento.canceladaEm,
    };
  }
  return view;
}

export function messageView(m: StoredMessage): Record<string, unknown> {
  return {
    id: m.id,
    remetente: { ...m.remetente },
    titulo: m.titulo,
    conteudo: m.conteudo,
    tipo: m.tipo,
    cpf: m.cpf,
    criado_em: m.criadoEm,
  };
}
