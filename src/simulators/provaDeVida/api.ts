import { parseCpf, maskCpf } from '../../domain/cpf';
import { empty, formatBrt, isObject, json, parseJson, type Reply } from './http';
import { PDV_MAGIC_CPFS } from './magic';
import {
  OTHER_ROUTE,
  messageView,
  transactionView,
  type ApiVersion,
  type PdvState,
  type ReadVersion,
  type RoutePattern,
} from './state';

export interface ApiConfig {
  clientId: string;
  clientSecret: string;
  cnpj: string;
  orgName: string;
  log: (obj: Record<string, unknown>, msg: string) => void;
}

export type RouteMatch =
  | { pattern: 'POST /auth/oauth/token' }
  | { pattern: 'POST /api/vbeta1/transacoes' | 'POST /api/vbeta2/transacoes' | 'POST /api/vbeta4/transacoes'; version: ApiVersion }
  | { pattern: 'GET /api/:version/transacoes/:id'; version: ReadVersion; id: string }
  | { pattern: 'PUT /api/vbeta4/transacoes/:id/cancelar'; id: string }
  | { pattern: 'POST /api/vbeta1/mensagens' }
  | { pattern: 'GET /api/vbeta1/mensagens/:id' | 'DELETE /api/vbeta1/mensagens/:id'; id: string }
  | { pattern: typeof OTHER_ROUTE; status: 404 | 405; allow?: string };

const CPF_INVALID = 'número do registro de contribuinte individual brasileiro (CPF) inválido';
const BLANK = 'não deve estar em branco';
const NULL = 'não deve ser nulo';
/** Keeps derived dates inside what Date can represent (≈100 years of minutes). */
const MAX_MINUTES = 52_560_000;

export function matchRoute(method: string, path: string): RouteMatch {
  const wrong = (allow: string): RouteMatch => ({ pattern: OTHER_ROUTE, status: 405, allow });
  if (path === '/auth/oauth/token') return method === 'POST' ? { pattern: 'POST /auth/oauth/token' } : wrong('POST');

  let m = /^\/api\/(vbeta1|vbeta2|vbeta4)\/transacoes$/.exec(path);
  if (m) {
    const version = m[1] as ApiVersion;
    return method === 'POST' ? { pattern: `POST /api/${version}/transacoes`, version } : wrong('POST');
  }
  m = /^\/api\/(vbeta2|vbeta4)\/transacoes\/([^/]+)$/.exec(path);
  if (m) {
    return method === 'GET'
      ? { pattern: 'GET /api/:version/transacoes/:id', version: m[1] as ReadVersion, id: decodeSegment(m[2] ?? '') }
      : wrong('GET');
  }
  m = /^\/api\/vbeta4\/transacoes\/([^/]+)\/cancelar$/.exec(path);
  if (m) return method === 'PUT' ? { pattern: 'PUT /api/vbeta4/transacoes/:id/cancelar', id: decodeSegment(m[1] ?? '') } : wrong('PUT');

  if (path === '/api/vbeta1/mensagens') return method === 'POST' ? { pattern: 'POST /api/vbeta1/mensagens' } : wrong('POST');
  m = /^\/api\/vbeta1\/mensagens\/([^/]+)$/.exec(path);
  if (m) {
    const id = decodeSegment(m[1] ?? '');
    if (method === 'GET') return { pattern: 'GET /api/vbeta1/mensagens/:id', id };
    if (method === 'DELETE') return { pattern: 'DELETE /api/vbeta1/mensagens/:id', id };
    return wrong('GET, DELETE');
  }
  return { pattern: OTHER_ROUTE, status: 404 };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a malformed id is simply an unknown id (404)
  }
}

export function isCreateRoute(pattern: RoutePattern | typeof OTHER_ROUTE): boolean {
  return pattern.startsWith('POST /api/');
}

// ---- replies shared by several routes ------------------------------------------

const notFound = (message: string): Reply => json(404, { status: 'NOT_FOUND', message });
const badRequest = (errors: Record<string, string>, message = 'Argumentos não válidos'): Reply =>
  json(400, { status: 'BAD_REQUEST', message, errors });
const unavailable = (): Reply => json(503, { status: 'SERVICE_UNAVAILABLE', message: 'Serviço indisponível' });

function unprocessable(state: PdvState, message: string, path: string): Reply {
  return json(422, {
    timestamp: formatBrt(state.nowMs()),
    status: 422,
    error: 'Unprocessable Entity',
    message,
    // The upstream reports the path relative to its servlet context, i.e. without /api.
    path: path.replace(/^\/api/, ''),
  });
}

// ---- entry point --------------------------------------------------------------

export function handleApi(
  state: PdvState,
  cfg: ApiConfig,
  req: { method: string; url: URL; authorization: string | undefined; body: string },
  match: RouteMatch,
): Reply {
  if (match.pattern === 'POST /auth/oauth/token') return token(state, cfg, req.url, req.authorization);

  if (req.url.pathname.startsWith('/api/')) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? '');
    if (!bearer?.[1] || !state.tokenValid(bearer[1])) return empty(401);
  }

  switch (match.pattern) {
    case OTHER_ROUTE:
      return match.status === 405
        ? json(405, { status: 'METHOD_NOT_ALLOWED', message: 'Método não suportado' }, { allow: match.allow ?? '' })
        : notFound('Recurso não encontrado');
    case 'POST /api/vbeta1/transacoes':
    case 'POST /api/vbeta2/transacoes':
    case 'POST /api/vbeta4/transacoes':
      return createTransaction(state, cfg, match.version, req.url.pathname, req.body);
    case 'GET /api/:version/transacoes/:id': {
      const tx = state.transactions.get(match.id);
      if (!tx) return notFound('Transação não encontrada');
      state.countRead(tx.id);
      return json(200, transactionView(tx, match.version));
    }
    case 'PUT /api/vbeta4/transacoes/:id/cancelar': {
      const result = state.cancelByClient(match.id);
      if (result === 'not_found') return notFound('Transação não encontrada');
      if (result === 'answered') return unprocessable(state, 'Transação já respondida', req.url.pathname);
      return empty(200);
    }
    case 'POST /api/vbeta1/mensagens':
      return createMessage(state, cfg, req.body);
    case 'GET /api/vbeta1/mensagens/:id': {
      const msg = state.messages.get(match.id);
      return msg && !msg.deleted ? json(200, messageView(msg)) : notFound('Mensagem não encontrada');
    }
    case 'DELETE /api/vbeta1/mensagens/:id': {
      const msg = state.messages.get(match.id);
      if (!msg || msg.deleted) return notFound('Mensagem não encontrada');
      msg.deleted = true;
      return empty(204);
    }
  }
}

// ---- token --------------------------------------------------------------------

function token(state: PdvState, cfg: ApiConfig, url: URL, authorization: string | undefined): Reply {
  // The seed sends the base64 value without the `Basic ` prefix; the manual's OAuth2 clients send it with.
  const encoded = (authorization ?? '').trim().replace(/^Basic\s+/i, '');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const id = colon >= 0 ? decoded.slice(0, colon) : '';
  const secret = colon >= 0 ? decoded.slice(colon + 1) : '';
  if (encoded === '' || id !== cfg.clientId || secret !== cfg.clientSecret) {
    return json(401, { error: 'invalid_client', error_description: 'Bad client credentials' });
  }
  const grant = url.searchParams.get('grant_type');
  if (grant !== 'client_credentials') {
    return json(400, {
      error: 'unsupported_grant_type',
      error_description: grant === null ? 'Missing grant type' : `Unsupported grant type: ${grant}`,
    });
  }
  const issued = state.issueToken();
  // Field for field as the 2025-12 manual's example, `servicos: null` included.
  return json(200, {
    access_token: issued.token,
    token_type: 'bearer',
    expires_in: issued.expiresIn,
    scope: '*',
    jti: issued.jti,
    cnpj: cfg.cnpj,
    nome_orgao: cfg.orgName,
    servicos: null,
  });
}

// ---- field validation ------------------------------------------------------------

type Errors = Record<string, string>;

function str(obj: Record<string, unknown>, key: string, field: string, errors: Errors): string | undefined {
  const v = obj[key];
  // Jackson coerces JSON numbers into String fields; so do we.
  const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  if (s === undefined || s.trim() === '') {
    errors[field] = BLANK;
    return undefined;
  }
  return s;
}

function optionalText(obj: Record<string, unknown>, key: string, errors: Errors): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    errors[key] = 'deve ser um texto';
    return undefined;
  }
  return v;
}

/** Every example sends minutes as strings ("120"); clients may send numbers. Both are accepted. */
function minutes(obj: Record<string, unknown>, key: string, min: 0 | 1, errors: Errors): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null || v === '') {
    errors[key] = NULL;
    return undefined;
  }
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) n = Number(v.trim());
  else n = Number.NaN;
  if (!Number.isInteger(n)) {
    errors[key] = 'deve ser um número inteiro';
    return undefined;
  }
  if (n < min) {
    errors[key] = min === 1 ? 'deve ser maior que 0' : 'deve ser maior que ou igual a 0';
    return undefined;
  }
  if (n > MAX_MINUTES) {
    errors[key] = `deve ser menor que ou igual a ${MAX_MINUTES}`;
    return undefined;
  }
  return n;
}

function cpfField(obj: Record<string, unknown>, errors: Errors): string | undefined {
  const v = obj['cpf'];
  if (v === undefined || v === null || v === '') {
    errors['cpf'] = BLANK;
    return undefined;
  }
  const parsed = typeof v === 'string' ? parseCpf(v) : undefined;
  if (!parsed?.ok) {
    errors['cpf'] = CPF_INVALID;
    return undefined;
  }
  return parsed.cpf;
}

function nested(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  return isObject(v) ? v : {};
}

// ---- transactions ------------------------------------------------------------------

function createTransaction(state: PdvState, cfg: ApiConfig, version: ApiVersion, path: string, text: string): Reply {
  const body = parseJson(text);
  if (!isObject(body)) return badRequest({}, 'JSON inválido');

  const errors: Errors = {};
  const sol = nested(body, 'solicitante');
  const cnpj = str(sol, 'cnpj', 'solicitante.cnpj', errors);
  const nome = str(sol, 'nome', 'solicitante.nome', errors);
  const servico = str(sol, 'servico', 'solicitante.servico', errors);
  const cpf = cpfField(body, errors);
  const motivo = str(body, 'motivo', 'motivo', errors);
  const tipo = str(body, 'tipo', 'tipo', errors);
  const expiracao = minutes(body, 'expiracao_em', 1, errors);
  // The manual (2025-12): "O parâmetro é opcional" on the current versions; vbeta1 never had it.
  const reuse =
    version === 'vbeta1' || body['selogovbr_reuso_em'] === undefined || body['selogovbr_reuso_em'] === null
      ? undefined
      : minutes(body, 'selogovbr_reuso_em', 0, errors);
  let categoria: 'PV' | 'OU' = 'PV';
  if (version === 'vbeta4') {
    const c = body['categoria'];
    if (c === 'PV' || c === 'OU') categoria = c;
    else if (c !== undefined && c !== null) errors['categoria'] = 'deve ser PV ou OU';
  }
  const mensagemFalha = optionalText(body, 'mensagem_falha', errors);
  const mensagemSucesso = optionalText(body, 'mensagem_sucesso', errors);

  if (
    Object.keys(errors).length > 0 ||
    cnpj === undefined || nome === undefined || servico === undefined ||
    cpf === undefined || motivo === undefined || tipo === undefined || expiracao === undefined
  ) {
    return badRequest(errors);
  }
  // The real API binds the body first (400) and only then checks the enum (422).
  if (tipo !== 'B' && tipo !== 'C') return unprocessable(state, `${tipo} não é um tipo válido [B,C]`, path);
  if (cpf === PDV_MAGIC_CPFS.upstreamFails) return unavailable();

  const tx = state.createTransaction({
    version,
    solicitante: { cnpj, nome, servico },
    cpf,
    motivo,
    tipo,
    categoria,
    expiracaoMinutes: expiracao,
    ...(reuse !== undefined ? { reuseMinutes: reuse } : {}),
    ...(mensagemFalha !== undefined ? { mensagemFalha } : {}),
    ...(mensagemSucesso !== undefined ? { mensagemSucesso } : {}),
  });
  cfg.log({ id: tx.id, version, cpf: maskCpf(cpf) }, 'transaction created');

  if (version === 'vbeta1') return { status: 201, headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: tx.id };
  return json(201, transactionView(tx, version));
}

// ---- messages -------------------------------------------------------------------------

function createMessage(state: PdvState, cfg: ApiConfig, text: string): Reply {
  const body = parseJson(text);
  if (!isObject(body)) return badRequest({}, 'JSON inválido');

  const errors: Errors = {};
  const rem = nested(body, 'remetente');
  const cnpj = str(rem, 'cnpj', 'remetente.cnpj', errors);
  const nome = str(rem, 'nome', 'remetente.nome', errors);
  const titulo = str(body, 'titulo', 'titulo', errors);
  const conteudo = str(body, 'conteudo', 'conteudo', errors);
  const tipo = body['tipo'];
  let cpf: string | null = null;
  if (tipo === 'D') {
    cpf = cpfField(body, errors) ?? null;
  } else if (tipo === 'B') {
    if (body['cpf'] !== undefined && body['cpf'] !== null) errors['cpf'] = 'não deve ser informado em mensagens do tipo B';
  } else {
    errors['tipo'] = tipo === undefined || tipo === null || tipo === '' ? BLANK : 'deve ser D ou B';
  }
  if (Object.keys(errors).length > 0 || cnpj === undefined || nome === undefined || titulo === undefined || conteudo === undefined) {
    return badRequest(errors);
  }
  if (cpf === PDV_MAGIC_CPFS.upstreamFails) return unavailable();

  const msg = state.createMessage({ remetente: { cnpj, nome }, titulo, conteudo, tipo: tipo === 'D' ? 'D' : 'B', cpf });
  cfg.log({ id: msg.id, tipo: msg.tipo, ...(cpf ? { cpf: maskCpf(cpf) } : {}) }, 'message created');
  // The seed prints the id as {"<uuid>"} — not JSON, yet served as JSON. Reproduced on purpose so the client must cope.
  return { status: 201, headers: { 'content-type': 'application/json' }, body: `{"${msg.id}"}` };
}
