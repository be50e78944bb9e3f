import { hasValidCheckDigits } from '../../src/domain/cpf';
import { PDV_MAGIC_CPFS, startProvaDeVidaSimulator, type ProvaDeVidaSimulator } from '../../src/simulators/provaDeVida';

const ANSWER_AFTER_MS = 200;
const ID = 'gateway-dev';
const SECRET = 'gateway-dev-secret';
const basic = Buffer.from(`${ID}:${SECRET}`).toString('base64');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}-03:00$/;
const OTHER_VALID_CPF = '52998224725';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Obj = Record<string, any>; // test-local: bodies are asserted field by field

function body(overrides: Obj = {}): Obj {
  return {
    solicitante: { cnpj: '33.683.111/0001-07', nome: 'Secretaria de Governo Digital', servico: 'AppGovBr' },
    cpf: PDV_MAGIC_CPFS.authorizes,
    motivo: 'prova de vida para obtenção de benefício',
    tipo: 'B',
    expiracao_em: '120',
    selogovbr_reuso_em: '20160',
    mensagem_falha: 'falhou',
    mensagem_sucesso: 'ok',
    ...overrides,
  };
}

function harness(getSim: () => ProvaDeVidaSimulator) {
  const h = {
    async token(): Promise<string> {
      const res = await fetch(`${getSim().url}/auth/oauth/token?grant_type=client_credentials`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as Obj)['access_token'] as string;
    },
    async api(method: string, path: string, opts: { token?: string | null; json?: unknown; raw?: string } = {}) {
      const headers: Record<string, string> = {};
      const token = opts.token === undefined ? await h.token() : opts.token;
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      let payload: string | undefined;
      if (opts.raw !== undefined) payload = opts.raw;
      else if (opts.json !== undefined) payload = JSON.stringify(opts.json);
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${getSim().url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
      const text = await res.text();
      let parsed: Obj | undefined;
      try {
        parsed = JSON.parse(text) as Obj;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, text, body: parsed, contentType: res.headers.get('content-type') };
    },
    async control(method: string, path: string, payload?: unknown) {
      const res = await fetch(`${getSim().controlUrl}${path}`, {
        method,
        ...(payload !== undefined ? { body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } } : {}),
      });
      return { status: res.status, body: (await res.json()) as Obj };
    },
    async create(version: 'vbeta1' | 'vbeta2' | 'vbeta4', overrides: Obj = {}, token?: string) {
      return h.api('POST', `/api/${version}/transacoes`, { json: body(overrides), ...(token ? { token } : {}) });
    },
    async read(version: 'vbeta2' | 'vbeta4', id: string, token?: string): Promise<Obj> {
      const r = await h.api('GET', `/api/${version}/transacoes/${id}`, token ? { token } : {});
      expect(r.status).toBe(200);
      return r.body as Obj;
    },
    /** Polls the control API (not counted) until the transaction has a resposta. */
    async waitAnswered(id: string, timeoutMs = 2000): Promise<Obj> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await h.control('GET', `/transactions/${id}`);
        if (r.body['resposta']) return r.body;
        if (Date.now() > deadline) throw new Error(`transaction ${id} not answered in ${timeoutMs} ms`);
        await sleep(25);
      }
    },
  };
  return h;
}

describe('Prova de Vida simulator: API', () => {
  let sim: ProvaDeVidaSimulator;
  const h = harness(() => sim);
  let token: string;

  beforeAll(async () => {
    sim = await startProvaDeVidaSimulator({ answerAfterMs: ANSWER_AFTER_MS });
    token = await h.token();
  });
  afterAll(() => sim.close());

  describe('token', () => {
    it('issues a token with Basic credentials', async () => {
      const res = await fetch(`${sim.url}/auth/oauth/token?grant_type=client_credentials`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
      });
      expect(res.status).toBe(200);
      const b = (await res.json()) as Obj;
      expect(b).toEqual({
        access_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
        scope: '*',
        cnpj: '33.683.111/0001-07',
        nome_orgao: 'Secretaria de Governo Digital',
        jti: expect.stringMatching(UUID),
        servicos: null, // as in the 2025-12 manual's example
      });
      expect(b['access_token'].length).toBeGreaterThan(20);
    });

    it('accepts the bare base64 value the seed shows', async () => {
      const res = await fetch(`${sim.url}/auth/oauth/token?grant_type=client_credentials`, {
        method: 'POST',
        headers: { authorization: basic },
      });
      expect(res.status).toBe(200);
      const b = (await res.json()) as Obj;
      expect((await h.api('GET', '/api/vbeta2/transacoes/nope', { token: b['access_token'] })).status).toBe(404);
    });

    it.each([
      ['wrong secret', `Basic ${Buffer.from(`${ID}:nope`).toString('base64')}`],
      ['wrong id (bare form)', Buffer.from(`x:${SECRET}`).toString('base64')],
      ['garbage', 'Basic !!!'],
    ])('401 invalid_client for %s', async (_name, authorization) => {
      const res = await fetch(`${sim.url}/auth/oauth/token?grant_type=client_credentials`, {
        method: 'POST',
        headers: { authorization },
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid_client', error_description: 'Bad client credentials' });
    });

    it('401 without Authorization', async () => {
      const res = await fetch(`${sim.url}/auth/oauth/token?grant_type=client_credentials`, { method: 'POST' });
      expect(res.status).toBe(401);
    });

    it('400 unsupported_grant_type without grant_type', async () => {
      const res = await fetch(`${sim.url}/auth/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${basic}` } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'unsupported_grant_type', error_description: expect.any(String) });
    });

    it('401 with an empty body for missing, unknown or malformed bearer tokens', async () => {
      for (const t of [null, 'not-a-token']) {
        const r = await h.api('GET', '/api/vbeta2/transacoes/x', { token: t });
        expect(r.status).toBe(401);
        expect(r.text).toBe('');
      }
      const res = await fetch(`${sim.url}/api/vbeta1/transacoes`, { method: 'POST', headers: { authorization: token } });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('');
    });
  });

  describe('create and read', () => {
    it('vbeta1 answers 201 with a bare UUID as text; read-back has no cpf and no selogovbr', async () => {
      const r = await h.create('vbeta1', { selogovbr_reuso_em: undefined }, token);
      expect(r.status).toBe(201);
      expect(r.contentType).toMatch(/^text\/plain/);
      expect(r.text).toMatch(UUID);
      for (const version of ['vbeta2', 'vbeta4'] as const) {
        const tx = await h.read(version, r.text, token);
        expect(tx['id']).toBe(r.text);
        expect(tx).not.toHaveProperty('cpf');
        expect(tx).not.toHaveProperty('selogovbr');
        expect(tx).not.toHaveProperty('resposta');
        expect(tx['solicitante']).toEqual(body()['solicitante']);
      }
      expect((await h.read('vbeta4', r.text, token))['categoria']).toBe('PV');
      expect(await h.read('vbeta2', r.text, token)).not.toHaveProperty('categoria');
    });

    it('vbeta2 answers 201 with the transaction object (no categoria), timestamps derived from criado_em', async () => {
      const r = await h.create('vbeta2', { expiracao_em: 120, selogovbr_reuso_em: 60 }, token);
      expect(r.status).toBe(201);
      expect(r.contentType).toMatch(/^application\/json/);
      const tx = r.body as Obj;
      expect(Object.keys(tx)).toEqual(['id', 'solicitante', 'cpf', 'motivo', 'tipo', 'criado_em', 'expiracao_em', 'selogovbr']);
      expect(tx['id']).toMatch(UUID);
      expect(tx['cpf']).toBe(PDV_MAGIC_CPFS.authorizes);
      expect(tx['criado_em']).toMatch(TS);
      expect(tx['expiracao_em']).toMatch(TS);
      const created = Date.parse(tx['criado_em']);
      expect(Math.abs(created - Date.now())).toBeLessThan(5000);
      expect(Date.parse(tx['expiracao_em']) - created).toBe(120 * 60_000);
      // same sub-millisecond digits: derived, not re-sampled
      expect(tx['expiracao_em'].slice(20, 26)).toBe(tx['criado_em'].slice(20, 26));
      expect(tx['selogovbr']).toEqual({ reusar_apartir: expect.stringMatching(TS), disponivel: false, usado: false });
      expect(created - Date.parse(tx['selogovbr']['reusar_apartir'])).toBe(60 * 60_000);
    });

    it('vbeta4 answers 201 with categoria (default PV, OU accepted) and accepts a formatted CPF', async () => {
      const pv = await h.create('vbeta4', {}, token);
      expect(pv.status).toBe(201);
      expect(pv.body?.['categoria']).toBe('PV');
      const ou = await h.create('vbeta4', { categoria: 'OU', cpf: '529.982.247-25' }, token);
      expect(ou.status).toBe(201);
      expect(ou.body?.['categoria']).toBe('OU');
      expect(ou.body?.['cpf']).toBe(OTHER_VALID_CPF);
    });

    it('404 NOT_FOUND for unknown and malformed ids', async () => {
      for (const id of ['0a4f7059-78b3-1b16-8179-56713d547f8a', 'not%20a%20uuid', '%E0%A4%A']) {
        const r = await h.api('GET', `/api/vbeta4/transacoes/${id}`, { token });
        expect(r.status).toBe(404);
        expect(r.body).toEqual({ status: 'NOT_FOUND', message: 'Transação não encontrada' });
      }
    });

    it('404 for unknown routes, 405 for wrong methods', async () => {
      const unknown = await h.api('GET', '/api/vbeta9/coisas', { token });
      expect(unknown.status).toBe(404);
      expect(unknown.body?.['status']).toBe('NOT_FOUND');
      expect((await h.api('GET', '/api/vbeta1/transacoes', { token })).status).toBe(405);
      expect((await h.api('DELETE', '/api/vbeta4/transacoes/abc', { token })).status).toBe(405);
      expect((await fetch(`${sim.url}/auth/oauth/token`)).status).toBe(405);
    });
  });

  describe('validation', () => {
    it('400 names every bad field', async () => {
      const r = await h.create(
        'vbeta4',
        {
          solicitante: { nome: 'x' },
          cpf: '12345678900',
          motivo: '',
          expiracao_em: '0',
          selogovbr_reuso_em: '-1',
          categoria: 'ZZ',
          tipo: 'X', // well-formed: not reported as 400
        },
        token,
      );
      expect(r.status).toBe(400);
      expect(r.body?.['status']).toBe('BAD_REQUEST');
      expect(r.body?.['message']).toBe('Argumentos não válidos');
      expect(Object.keys(r.body?.['errors']).sort()).toEqual(
        ['categoria', 'cpf', 'expiracao_em', 'motivo', 'selogovbr_reuso_em', 'solicitante.cnpj', 'solicitante.servico'].sort(),
      );
      expect(r.body?.['errors']['cpf']).toBe('número do registro de contribuinte individual brasileiro (CPF) inválido');
    });

    it('400 for an empty object names every required field; the seal window is optional (manual: "O parâmetro é opcional")', async () => {
      for (const version of ['vbeta1', 'vbeta2', 'vbeta4']) {
        const r = await h.api('POST', `/api/${version}/transacoes`, { token, json: {} });
        expect(r.status).toBe(400);
        expect(Object.keys(r.body?.['errors']).sort()).toEqual(
          ['cpf', 'expiracao_em', 'motivo', 'solicitante.cnpj', 'solicitante.nome', 'solicitante.servico', 'tipo'].sort(),
        );
      }
    });

    it.each(['vbeta2', 'vbeta4'] as const)('201 on %s without selogovbr_reuso_em: the object without selogovbr, categoria kept on vbeta4', async (version) => {
      const body: Obj = {
        solicitante: { cnpj: '00.489.828/0074-00', nome: 'SECRETARIA DE GOVERNO DIGITAL', servico: 'Sistema de Prova de Vida' },
        cpf: PDV_MAGIC_CPFS.authorizes,
        motivo: 'Prova de vida para obter benefício previdenciário',
        tipo: 'B',
        expiracao_em: '120',
        categoria: 'OU',
      };
      const r = await h.api('POST', `/api/${version}/transacoes`, { token, json: body });
      expect(r.status).toBe(201);
      expect(r.body).not.toHaveProperty('selogovbr');
      expect(r.body?.['id']).toMatch(UUID);
      if (version === 'vbeta4') expect(r.body?.['categoria']).toBe('OU');
      else expect(r.body).not.toHaveProperty('categoria');
    });

    it('400 for non-integer minutes and a repeated-digit CPF', async () => {
      const r = await h.create('vbeta2', { expiracao_em: '1.5', selogovbr_reuso_em: 'abc', cpf: '11111111111' }, token);
      expect(r.status).toBe(400);
      expect(Object.keys(r.body?.['errors']).sort()).toEqual(['cpf', 'expiracao_em', 'selogovbr_reuso_em']);
    });

    it('400 JSON inválido for a malformed body', async () => {
      const r = await h.api('POST', '/api/vbeta2/transacoes', { token, raw: '{"cpf": ' });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ status: 'BAD_REQUEST', message: 'JSON inválido', errors: {} });
    });

    it.each(['vbeta1', 'vbeta4'] as const)('422 for an unknown tipo on %s', async (version) => {
      const r = await h.create(version, { tipo: 'A' }, token);
      expect(r.status).toBe(422);
      expect(r.body).toEqual({
        timestamp: expect.stringMatching(TS),
        status: 422,
        error: 'Unprocessable Entity',
        message: 'A não é um tipo válido [B,C]',
        path: `/${version}/transacoes`,
      });
    });
  });

  describe('seal', () => {
    it('freshSeal inside the window is authorised at creation and never re-answered', async () => {
      const r = await h.create('vbeta2', { cpf: PDV_MAGIC_CPFS.freshSeal, selogovbr_reuso_em: '20160' }, token);
      expect(r.status).toBe(201);
      const tx = r.body as Obj;
      expect(tx['resposta']).toEqual({ autorizado: true, data: tx['criado_em'] });
      expect(tx['selogovbr']).toMatchObject({ disponivel: true, usado: true });
      const sealAt = Date.parse(tx['selogovbr']['data']);
      expect(Date.parse(tx['criado_em']) - sealAt).toBeGreaterThanOrEqual(59_000);
      await sleep(ANSWER_AFTER_MS + 150);
      expect((await h.read('vbeta4', tx['id'], token))['resposta']).toEqual({ autorizado: true, data: tx['criado_em'] });
    });

    it('freshSeal outside the window (reuse 0) is not used; the citizen answers later', async () => {
      const r = await h.create('vbeta4', { cpf: PDV_MAGIC_CPFS.freshSeal, selogovbr_reuso_em: 0 }, token);
      const tx = r.body as Obj;
      expect(tx).not.toHaveProperty('resposta');
      expect(tx['selogovbr']).toMatchObject({ disponivel: true, usado: false, data: expect.any(String) });
      expect((await h.waitAnswered(tx['id']))['resposta']['autorizado']).toBe(true);
    });

    it('a normal citizen has no seal (disponivel false, data omitted)', async () => {
      const tx = (await h.create('vbeta4', { cpf: OTHER_VALID_CPF }, token)).body as Obj;
      expect(tx['selogovbr']).toEqual({ reusar_apartir: expect.any(String), disponivel: false, usado: false });
    });
  });

  describe('magic CPF outcomes', () => {
    it('authorizes (and any other valid CPF) after answerAfterMs', async () => {
      for (const cpf of [PDV_MAGIC_CPFS.authorizes, OTHER_VALID_CPF]) {
        const started = Date.now();
        const tx = (await h.create('vbeta2', { cpf }, token)).body as Obj;
        expect(tx).not.toHaveProperty('resposta');
        const answered = await h.waitAnswered(tx['id']);
        expect(Date.now() - started).toBeGreaterThanOrEqual(ANSWER_AFTER_MS - 20);
        expect(answered['resposta']).toEqual({ autorizado: true, data: expect.stringMatching(TS) });
      }
    });

    it.each([
      ['refuses', PDV_MAGIC_CPFS.refuses, 1],
      ['facialCheckFails', PDV_MAGIC_CPFS.facialCheckFails, 2],
      ['biographicCheckFails', PDV_MAGIC_CPFS.biographicCheckFails, 3],
      ['bothChecksFail', PDV_MAGIC_CPFS.bothChecksFail, 4],
    ])('%s: denied, motivo_negacao on vbeta4 reads only', async (_name, cpf, reason) => {
      const tx = (await h.create('vbeta4', { cpf }, token)).body as Obj;
      await h.waitAnswered(tx['id']);
      const v4 = await h.read('vbeta4', tx['id'], token);
      expect(v4['resposta']).toEqual({ autorizado: false, data: expect.stringMatching(TS), motivo_negacao: reason });
      const v2 = await h.read('vbeta2', tx['id'], token);
      expect(v2['resposta']).toEqual({ autorizado: false, data: v4['resposta']['data'] });
    });

    it('neverAnswers: no resposta, ever', async () => {
      const tx = (await h.create('vbeta2', { cpf: PDV_MAGIC_CPFS.neverAnswers }, token)).body as Obj;
      await sleep(ANSWER_AFTER_MS + 200);
      expect(await h.read('vbeta4', tx['id'], token)).not.toHaveProperty('resposta');
    });

    it('noBiometry on vbeta4: the 201 already carries cancelamento SEMBIOM, hidden from vbeta2 reads', async () => {
      const tx = (await h.create('vbeta4', { cpf: PDV_MAGIC_CPFS.noBiometry }, token)).body as Obj;
      // Text and timing as in the manual's SEMBIOM example (cancelada_em 2.845 s after criado_em).
      expect(tx['cancelamento']).toEqual({ codigo: 'SEMBIOM', motivo: 'Dados biográficos inexistentes para o cpf informado', cancelada_em: expect.stringMatching(TS) });
      const gapMs = Date.parse(String((tx['cancelamento'] as Obj)['cancelada_em'])) - Date.parse(String(tx['criado_em']));
      expect(gapMs).toBeGreaterThanOrEqual(2000);
      expect(gapMs).toBeLessThanOrEqual(4000);
      expect(tx).not.toHaveProperty('resposta');
      await sleep(ANSWER_AFTER_MS + 100);
      const v2 = await h.read('vbeta2', tx['id'], token);
      expect(v2).not.toHaveProperty('cancelamento');
      expect(v2).not.toHaveProperty('resposta');
    });

    it('noBiometry on vbeta2: denied after answerAfterMs', async () => {
      const tx = (await h.create('vbeta2', { cpf: PDV_MAGIC_CPFS.noBiometry }, token)).body as Obj;
      expect(tx).not.toHaveProperty('resposta');
      const answered = await h.waitAnswered(tx['id']);
      expect(answered['resposta']['autorizado']).toBe(false);
      expect(answered).not.toHaveProperty('cancelamento');
    });

    it('upstreamFails: 503 on transactions and direct messages, nothing stored', async () => {
      const before = (await h.control('GET', '/transactions')).body.length;
      for (const version of ['vbeta1', 'vbeta2', 'vbeta4'] as const) {
        const r = await h.create(version, { cpf: PDV_MAGIC_CPFS.upstreamFails }, token);
        expect(r.status).toBe(503);
        expect(r.body).toEqual({ status: 'SERVICE_UNAVAILABLE', message: 'Serviço indisponível' });
      }
      expect((await h.control('GET', '/transactions')).body.length).toBe(before);
      const m = await h.api('POST', '/api/vbeta1/mensagens', {
        token,
        json: { remetente: { cnpj: '1', nome: 'x' }, titulo: 't', conteudo: 'c', tipo: 'D', cpf: PDV_MAGIC_CPFS.upstreamFails },
      });
      expect(m.status).toBe(503);
    });
  });

  describe('cancel', () => {
    it('200 with an empty body; vbeta4 shows cancelamento CLIENTE, vbeta2 shows nothing; no auto-answer afterwards', async () => {
      const tx = (await h.create('vbeta4', {}, token)).body as Obj;
      const r = await h.api('PUT', `/api/vbeta4/transacoes/${tx['id']}/cancelar`, { token });
      expect(r.status).toBe(200);
      expect(r.text).toBe('');
      await sleep(ANSWER_AFTER_MS + 150);
      const v4 = await h.read('vbeta4', tx['id'], token);
      expect(v4['cancelamento']).toEqual({ codigo: 'CLIENTE', motivo: 'Cliente solicitou o cancelamento', cancelada_em: expect.stringMatching(TS) });
      expect(v4).not.toHaveProperty('resposta');
      const v2 = await h.read('vbeta2', tx['id'], token);
      expect(v2).not.toHaveProperty('cancelamento');
      expect(v2).not.toHaveProperty('resposta');
      // a retried cancel is harmless
      expect((await h.api('PUT', `/api/vbeta4/transacoes/${tx['id']}/cancelar`, { token })).status).toBe(200);
    });

    it('422 when already answered, 404 when unknown', async () => {
      const tx = (await h.create('vbeta4', { cpf: PDV_MAGIC_CPFS.freshSeal }, token)).body as Obj;
      const r = await h.api('PUT', `/api/vbeta4/transacoes/${tx['id']}/cancelar`, { token });
      expect(r.status).toBe(422);
      expect(r.body).toEqual({
        timestamp: expect.stringMatching(TS),
        status: 422,
        error: 'Unprocessable Entity',
        message: 'Transação já respondida',
        path: `/vbeta4/transacoes/${tx['id']}/cancelar`,
      });
      const unknown = await h.api('PUT', '/api/vbeta4/transacoes/nope/cancelar', { token });
      expect(unknown.status).toBe(404);
      expect(unknown.body?.['status']).toBe('NOT_FOUND');
    });
  });

  describe('messages', () => {
    const msg = (o: Obj = {}) => ({
      remetente: { cnpj: '33.683.111/0001-07', nome: 'SGD' },
      titulo: 'Aviso',
      conteudo: 'Sua prova de vida vence em breve',
      tipo: 'D',
      cpf: PDV_MAGIC_CPFS.authorizes,
      ...o,
    });

    it('direct: 201 brace body, read, delete, then 404', async () => {
      const r = await h.api('POST', '/api/vbeta1/mensagens', { token, json: msg() });
      expect(r.status).toBe(201);
      expect(r.contentType).toMatch(/^application\/json/);
      expect(r.text).toMatch(/^\{"[0-9a-f-]{36}"\}$/);
      expect(r.body).toBeUndefined(); // not valid JSON, on purpose
      const id = r.text.slice(2, -2);
      const read = await h.api('GET', `/api/vbeta1/mensagens/${id}`, { token });
      expect(read.status).toBe(200);
      expect(read.body).toEqual({
        id,
        remetente: { cnpj: '33.683.111/0001-07', nome: 'SGD' },
        titulo: 'Aviso',
        conteudo: 'Sua prova de vida vence em breve',
        tipo: 'D',
        cpf: PDV_MAGIC_CPFS.authorizes,
        criado_em: expect.stringMatching(TS),
      });
      const del = await h.api('DELETE', `/api/vbeta1/mensagens/${id}`, { token });
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      expect((await h.control('GET', `/messages/${id}`)).body['deleted']).toBe(true);
      for (const method of ['GET', 'DELETE']) {
        const again = await h.api(method, `/api/vbeta1/mensagens/${id}`, { token });
        expect(again.status).toBe(404);
        expect(again.body?.['status']).toBe('NOT_FOUND');
      }
    });

    it('broadcast: no cpf allowed; read shows cpf null', async () => {
      const bad = await h.api('POST', '/api/vbeta1/mensagens', { token, json: msg({ tipo: 'B' }) });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body?.['errors'])).toEqual(['cpf']);
      const ok = await h.api('POST', '/api/vbeta1/mensagens', { token, json: msg({ tipo: 'B', cpf: undefined }) });
      expect(ok.status).toBe(201);
      const read = await h.api('GET', `/api/vbeta1/mensagens/${ok.text.slice(2, -2)}`, { token });
      expect(read.body?.['cpf']).toBeNull();
      expect(read.body?.['tipo']).toBe('B');
    });

    it('400 names every bad field', async () => {
      const r = await h.api('POST', '/api/vbeta1/mensagens', {
        token,
        json: { remetente: { cnpj: 'x' }, titulo: '', tipo: 'D', cpf: '123' },
      });
      expect(r.status).toBe(400);
      expect(Object.keys(r.body?.['errors']).sort()).toEqual(['conteudo', 'cpf', 'remetente.nome', 'titulo']);
      const noTipo = await h.api('POST', '/api/vbeta1/mensagens', { token, json: msg({ tipo: 'Z' }) });
      expect(Object.keys(noTipo.body?.['errors'])).toEqual(['tipo']);
    });
  });
});

describe('Prova de Vida simulator: control API', () => {
  let sim: ProvaDeVidaSimulator;
  const h = harness(() => sim);
  let token: string;

  beforeAll(async () => {
    sim = await startProvaDeVidaSimulator({ answerAfterMs: ANSWER_AFTER_MS });
  });
  beforeEach(async () => {
    await h.control('POST', '/reset');
    token = await h.token();
  });
  afterAll(() => sim.close());

  it('runs on its own port, never on the API port', async () => {
    expect(sim.controlUrl).not.toBe(sim.url);
    expect((await h.api('GET', '/counters', { token })).status).toBe(404);
  });

  it('answer: now, with a denial reason; 409 when already answered; 404 when unknown', async () => {
    const tx = (await h.create('vbeta4', { cpf: PDV_MAGIC_CPFS.neverAnswers }, token)).body as Obj;
    const r = await h.control('POST', `/transactions/${tx['id']}/answer`, { authorized: false, denialReason: 3 });
    expect(r.status).toBe(200);
    expect((await h.read('vbeta4', tx['id'], token))['resposta']).toMatchObject({ autorizado: false, motivo_negacao: 3 });
    expect((await h.control('POST', `/transactions/${tx['id']}/answer`, { authorized: true })).status).toBe(409);
    expect((await h.control('POST', '/transactions/nope/answer', { authorized: true })).status).toBe(404);
    expect((await h.control('POST', `/transactions/${tx['id']}/answer`, { authorized: 'yes' })).status).toBe(400);
  });

  it('answer after a client cancel is a 409', async () => {
    const tx = (await h.create('vbeta4', {}, token)).body as Obj;
    await h.api('PUT', `/api/vbeta4/transacoes/${tx['id']}/cancelar`, { token });
    expect((await h.control('POST', `/transactions/${tx['id']}/answer`, { authorized: true })).status).toBe(409);
  });

  it('never-answer stops the auto-answer', async () => {
    const tx = (await h.create('vbeta2', {}, token)).body as Obj;
    expect((await h.control('POST', `/transactions/${tx['id']}/never-answer`)).status).toBe(200);
    await sleep(ANSWER_AFTER_MS + 150);
    expect(await h.read('vbeta4', tx['id'], token)).not.toHaveProperty('resposta');
  });

  it('expire: expiracao_em moves into the past and the citizen never answers', async () => {
    const tx = (await h.create('vbeta2', {}, token)).body as Obj;
    expect((await h.control('POST', `/transactions/${tx['id']}/expire`)).status).toBe(200);
    await sleep(ANSWER_AFTER_MS + 150);
    const read = await h.read('vbeta2', tx['id'], token);
    expect(Date.parse(read['expiracao_em'])).toBeLessThan(Date.now());
    expect(read).not.toHaveProperty('resposta');
    expect(read['criado_em']).toBe(tx['criado_em']);
  });

  it('GET /transactions/:id shows the vbeta4 view without counting as a read', async () => {
    const tx = (await h.create('vbeta2', { cpf: PDV_MAGIC_CPFS.noBiometry }, token)).body as Obj;
    const c = await h.control('GET', `/transactions/${tx['id']}`);
    expect(c.body['categoria']).toBe('PV');
    expect((await h.control('GET', '/counters')).body['byTransaction']).toEqual({});
    expect((await h.control('GET', '/transactions/nope')).status).toBe(404);
  });

  it('counters: every request by route pattern (401s included), reads per transaction, reset', async () => {
    await h.control('POST', '/counters/reset');
    const tx = (await h.create('vbeta2', {}, token)).body as Obj;
    await h.read('vbeta2', tx['id'], token);
    await h.read('vbeta4', tx['id'], token);
    await h.api('GET', `/api/vbeta4/transacoes/${tx['id']}`, { token: 'bad' });
    await h.api('GET', '/api/nothing/here', { token });
    const c = (await h.control('GET', '/counters')).body;
    expect(c['byRoute']['POST /api/vbeta2/transacoes']).toBe(1);
    expect(c['byRoute']['GET /api/:version/transacoes/:id']).toBe(3);
    expect(c['byRoute']['POST /api/vbeta1/transacoes']).toBe(0);
    expect(c['byRoute']['OTHER']).toBe(1);
    expect(c['byTransaction']).toEqual({ [tx['id']]: { reads: 2 } });
    expect(c['total']).toBe(5);
    await h.control('POST', '/counters/reset');
    const z = (await h.control('GET', '/counters')).body;
    expect(z['total']).toBe(0);
    expect(z['byRoute']['POST /auth/oauth/token']).toBe(0);
  });

  describe('faults', () => {
    it('status: default 503 with the simulated-failure body, once, only on its route', async () => {
      const f = await h.control('POST', '/faults', { route: 'GET /api/:version/transacoes/:id', kind: 'status' });
      expect(f.body['id']).toEqual(expect.any(String));
      const created = await h.create('vbeta2', {}, token);
      expect(created.status).toBe(201);
      const r = await h.api('GET', `/api/vbeta2/transacoes/${created.body?.['id']}`, { token });
      expect(r.status).toBe(503);
      expect(r.body).toEqual({ status: 'ERROR', message: 'Falha simulada' });
      expect((await h.api('GET', `/api/vbeta2/transacoes/${created.body?.['id']}`, { token })).status).toBe(200);
      expect((await h.control('GET', '/counters')).body['byRoute']['GET /api/:version/transacoes/:id']).toBe(2);
    });

    it('status: custom status, count -1 until cleared, also on the token route', async () => {
      await h.control('POST', '/faults', { route: '*', kind: 'status', status: 500, count: -1 });
      for (let i = 0; i < 3; i++) expect((await h.api('GET', '/api/vbeta4/transacoes/x', { token })).status).toBe(500);
      const t = await fetch(`${sim.url}/auth/oauth/token?grant_type=client_credentials`, {
        method: 'POST',
        headers: { authorization: basic },
      });
      expect(t.status).toBe(500);
      expect((await h.control('DELETE', '/faults')).status).toBe(200);
      expect((await h.api('GET', '/api/vbeta4/transacoes/x', { token })).status).toBe(404);
    });

    it('latency delays the real answer', async () => {
      await h.control('POST', '/faults', { route: 'POST /api/vbeta1/transacoes', kind: 'latency', latencyMs: 300 });
      const started = Date.now();
      const r = await h.create('vbeta1', {}, token);
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      expect(r.status).toBe(201);
      expect(r.text).toMatch(UUID);
    });

    it('reset destroys the connection without an answer (and nothing is stored)', async () => {
      await h.control('POST', '/faults', { route: 'POST /api/vbeta2/transacoes', kind: 'reset' });
      await expect(h.create('vbeta2', {}, token)).rejects.toThrow();
      expect((await h.control('GET', '/transactions')).body).toEqual([]);
    });

    it('reset with processed:true stores the transaction even though the client saw the connection drop', async () => {
      await h.control('POST', '/faults', { route: 'POST /api/vbeta4/transacoes', kind: 'reset', processed: true });
      await expect(h.create('vbeta4', {}, token)).rejects.toThrow();
      expect((await h.control('GET', '/transactions')).body).toHaveLength(1);
    });

    it('latency with processed:true creates at once and holds the answer (a create in flight that already took effect)', async () => {
      await h.control('POST', '/faults', { route: 'POST /api/vbeta4/transacoes', kind: 'latency', latencyMs: 400, processed: true });
      const started = Date.now();
      const pending = h.create('vbeta4', {}, token);
      await new Promise((r) => setTimeout(r, 150));
      expect((await h.control('GET', '/transactions')).body).toHaveLength(1);
      const r = await pending;
      expect(Date.now() - started).toBeGreaterThanOrEqual(380);
      expect(r.status).toBe(201);
    });

    it('malformed answers 201/200 with a body that is not JSON', async () => {
      await h.control('POST', '/faults', { kind: 'malformed', count: 2 });
      const created = await h.create('vbeta2', {}, token);
      expect(created.status).toBe(201);
      expect(created.body).toBeUndefined();
      const read = await h.api('GET', '/api/vbeta2/transacoes/x', { token });
      expect(read.status).toBe(200);
      expect(read.text).toBe('{"unexpected":true');
      expect((await h.api('GET', '/api/vbeta2/transacoes/x', { token })).status).toBe(404);
    });

    it('rejects unknown routes and kinds', async () => {
      expect((await h.control('POST', '/faults', { route: 'GET /nope', kind: 'status' })).status).toBe(400);
      expect((await h.control('POST', '/faults', { kind: 'explode' })).status).toBe(400);
    });
  });

  it('tokens/revoke makes every issued token unknown', async () => {
    expect((await h.api('GET', '/api/vbeta2/transacoes/x', { token })).status).toBe(404);
    await h.control('POST', '/tokens/revoke');
    const r = await h.api('GET', '/api/vbeta2/transacoes/x', { token });
    expect(r.status).toBe(401);
    expect(r.text).toBe('');
    expect((await h.api('GET', '/api/vbeta2/transacoes/x')).status).toBe(404); // a fresh token works
  });

  it('reset clears transactions, messages, tokens, faults, counters and timers', async () => {
    const tx = (await h.create('vbeta2', {}, token)).body as Obj;
    await h.control('POST', '/faults', { kind: 'status', count: -1, route: 'POST /api/vbeta1/mensagens' });
    expect((await h.control('POST', '/reset')).status).toBe(200);
    expect((await h.control('GET', '/counters')).body['total']).toBe(0);
    expect((await h.api('GET', `/api/vbeta2/transacoes/${tx['id']}`, { token })).status).toBe(401);
    const fresh = await h.token();
    expect((await h.api('GET', `/api/vbeta2/transacoes/${tx['id']}`, { token: fresh })).status).toBe(404);
    expect((await h.control('GET', '/faults')).body).toEqual([]);
  });

  it('PUT /config changes answerAfterMs for new transactions (reset restores it)', async () => {
    expect((await h.control('PUT', '/config', { answerAfterMs: 0 })).body).toEqual({ answerAfterMs: 0 });
    const started = Date.now();
    const tx = (await h.create('vbeta2', {}, token)).body as Obj;
    await h.waitAnswered(tx['id']);
    expect(Date.now() - started).toBeLessThan(ANSWER_AFTER_MS);
    expect((await h.control('PUT', '/config', { answerAfterMs: -5 })).status).toBe(400);
    await h.control('POST', '/reset');
    expect((await h.control('PUT', '/config', {})).body).toEqual({ answerAfterMs: ANSWER_AFTER_MS });
  });
});

describe('Prova de Vida simulator: clock and lifecycle', () => {
  it('tokens expire on the injected clock', async () => {
    let nowMs = Date.parse('2024-03-01T12:00:00Z');
    const sim = await startProvaDeVidaSimulator({ answerAfterMs: 10_000, tokenTtlSeconds: 60, now: () => new Date(nowMs) });
    try {
      const h = harness(() => sim);
      const token = await h.token();
      const tx = (await h.create('vbeta2', {}, token)).body as Obj;
      expect(tx['criado_em']).toBe('2024-03-01T09:00:00.000' + tx['criado_em'].slice(23, 26) + '-03:00');
      nowMs += 61_000;
      const r = await h.api('GET', `/api/vbeta2/transacoes/${tx['id']}`, { token });
      expect(r.status).toBe(401);
      expect(r.text).toBe('');
    } finally {
      await sim.close();
    }
  });

  it('a citizen does not answer after expiry', async () => {
    let nowMs = Date.now();
    const sim = await startProvaDeVidaSimulator({ answerAfterMs: 100, tokenTtlSeconds: 100_000, now: () => new Date(nowMs) });
    try {
      const h = harness(() => sim);
      const token = await h.token();
      const tx = (await h.create('vbeta2', { expiracao_em: 1 }, token)).body as Obj;
      nowMs += 2 * 60_000;
      await sleep(250);
      expect(await h.read('vbeta4', tx['id'], token)).not.toHaveProperty('resposta');
    } finally {
      await sim.close();
    }
  });

  it('close() is quick with keep-alive sockets and pending timers, and is idempotent', async () => {
    const sim = await startProvaDeVidaSimulator({ answerAfterMs: 60_000 });
    const h = harness(() => sim);
    const token = await h.token();
    await h.create('vbeta2', {}, token);
    await h.control('POST', '/faults', { kind: 'latency', latencyMs: 60_000, route: 'GET /api/:version/transacoes/:id' });
    const hanging = h.api('GET', '/api/vbeta2/transacoes/x', { token }).then(
      () => 'answered',
      () => 'failed', // fetch's TypeError comes from another realm under jest, so no instanceof check
    );
    await sleep(50);
    const started = Date.now();
    await Promise.all([sim.close(), sim.close()]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hanging).toBe('failed');
    await expect(fetch(`${sim.url}/auth/oauth/token`)).rejects.toThrow();
  });

  it('never prints CPFs unmasked through the logger', async () => {
    const lines: string[] = [];
    const sim = await startProvaDeVidaSimulator({
      answerAfterMs: 50,
      logger: { debug: (obj, msg) => lines.push(`${msg} ${JSON.stringify(obj)}`) },
    });
    try {
      const h = harness(() => sim);
      await h.create('vbeta2', { cpf: OTHER_VALID_CPF });
      expect(lines.join('\n')).toContain('***.***.247-25');
      expect(lines.join('\n')).not.toContain(OTHER_VALID_CPF);
    } finally {
      await sim.close();
    }
  });
});

describe('PDV_MAGIC_CPFS', () => {
  it('are distinct, 11 digits, with valid check digits', () => {
    const values = Object.values(PDV_MAGIC_CPFS);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(hasValidCheckDigits(v)).toBe(true);
  });
});
