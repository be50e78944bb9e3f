import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleControl } from './control';
import { handleApi, isCreateRoute, matchRoute, type ApiConfig } from './api';
import { BodyTooLarge, json, readBody, send, type Reply } from './http';
import { SimStateFile } from '../persist';
import { PdvState, type Fault, type PdvSnapshot } from './state';

export { PDV_MAGIC_CPFS } from './magic';

/** Minimal logger shape (a pino logger fits). Only masked CPFs are ever passed to it. */
export interface ProvaDeVidaSimulatorLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
}

export interface ProvaDeVidaSimulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** API port; 0 = ephemeral. @default 0 */
  port?: number;
  /** Control API port (separate server, never the API port); 0 = ephemeral. @default 0 */
  controlPort?: number;
  /** @default 'gateway-dev' */
  clientId?: string;
  /** @default 'gateway-dev-secret' */
  clientSecret?: string;
  /** @default 900 */
  tokenTtlSeconds?: number;
  /** How long after creation a citizen answers on their own. @default 5000 */
  answerAfterMs?: number;
  /** CNPJ returned in the token response. @default '33.683.111/0001-07' */
  cnpj?: string;
  /** Organisation name returned in the token response. @default 'Secretaria de Governo Digital' */
  orgName?: string;
  /** Clock, for tests. @default () => new Date() */
  now?: () => Date;
  /** Silent by default. */
  logger?: ProvaDeVidaSimulatorLogger;
  /**
   * Keep transactions, messages, tokens and pending answers in `<stateDir>/prova-de-vida.json`
   * (locked: one process per file), so a restart resumes them. @default memory only
   */
  stateDir?: string;
}

export interface ProvaDeVidaSimulator {
  /** API base URL, e.g. http://127.0.0.1:38211 (no trailing slash). */
  url: string;
  /** Control API base URL. */
  controlUrl: string;
  /** Closes both servers, clears all timers, destroys open sockets. */
  close(): Promise<void>;
}

export async function startProvaDeVidaSimulator(opts: ProvaDeVidaSimulatorOptions = {}): Promise<ProvaDeVidaSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const answerAfterMs = opts.answerAfterMs ?? 5000;
  if (!Number.isInteger(answerAfterMs) || answerAfterMs < 0 || answerAfterMs > 2_147_483_647) {
    throw new RangeError('answerAfterMs must be an integer between 0 and 2147483647');
  }
  const state = new PdvState({
    now: opts.now ?? (() => new Date()),
    answerAfterMs,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 900,
  });
  const logger = opts.logger;
  const file = opts.stateDir ? await SimStateFile.open<PdvSnapshot>(opts.stateDir, 'prova-de-vida', 'prova-de-vida simulator', () => state.snapshot()) : null;
  const saved = file?.load();
  if (saved) state.restore(saved);
  if (file) state.onChange = () => file.touch();
  // A changing request is answered after its change is on disk, as a real upstream answers after its commit.
  const commit = (req: IncomingMessage): Promise<void> => (file && req.method !== 'GET' ? file.commit() : Promise.resolve());
  const cfg: ApiConfig = {
    clientId: opts.clientId ?? 'gateway-dev',
    clientSecret: opts.clientSecret ?? 'gateway-dev-secret',
    cnpj: opts.cnpj ?? '33.683.111/0001-07',
    orgName: opts.orgName ?? 'Secretaria de Governo Digital',
    log: (obj, msg) => logger?.debug(obj, msg),
  };

  const sockets = new Set<Socket>();
  const track = (server: Server): void => {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  };

  const api = createServer((req, res) => {
    onApiRequest(state, cfg, req, res, commit).catch((e: unknown) => {
      cfg.log({ err: String(e) }, 'simulator API handler failed');
      send(res, json(500, { status: 'INTERNAL_SERVER_ERROR', message: 'Erro interno' }));
    });
  });
  const control = createServer((req, res) => {
    onControlRequest(state, req, res, commit).catch((e: unknown) => {
      send(res, json(500, { error: String(e) }));
    });
  });
  track(api);
  track(control);

  try {
    await listen(api, host, opts.port ?? 0);
    await listen(control, host, opts.controlPort ?? 0);
  } catch (e) {
    api.close();
    control.close();
    await file?.close();
    throw e;
  }

  const base = (server: Server): string => {
    const { port } = server.address() as AddressInfo;
    const h = host.includes(':') ? `[${host}]` : host;
    return `http://${h}:${port}`;
  };

  let closing: Promise<void> | undefined;
  return {
    url: base(api),
    controlUrl: base(control),
    close() {
      closing ??= (async () => {
        const done = Promise.all([closeServer(api), closeServer(control)]);
        // Keep-alive sockets would otherwise hold server.close() open until they time out.
        api.closeAllConnections();
        control.closeAllConnections();
        for (const s of sockets) s.destroy();
        sockets.clear();
        // Saved before the timers go: pending answers are part of the state.
        await file?.close();
        state.clearTimers(false);
        await done;
      })();
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function onApiRequest(state: PdvState, cfg: ApiConfig, req: IncomingMessage, res: ServerResponse, commit: (req: IncomingMessage) => Promise<void>): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://simulator');
  const match = matchRoute(method, url.pathname);
  // Counted before anything can fail, so tests see every attempt the client made (retries included).
  state.count(match.pattern);
  const fault = state.takeFault(match.pattern);

  // `processed` latency holds the reply *after* the request took effect (below): the
  // "upstream acted, the answer is still on its way" case a crash can fall into.
  if (fault?.kind === 'latency' && !fault.processed) await state.delay(fault.latencyMs);
  if (fault && fault.kind !== 'latency' && !fault.processed) {
    deliverFault(req, res, fault, isCreateRoute(match.pattern));
    return;
  }

  let body: string;
  try {
    body = await readBody(req);
  } catch (e) {
    if (e instanceof BodyTooLarge) send(res, json(413, { status: 'PAYLOAD_TOO_LARGE', message: 'Corpo muito grande' }));
    return;
  }
  const authorization = req.headers.authorization;
  const reply = handleApi(state, cfg, { method, url, authorization, body }, match);
  cfg.log({ method, path: match.pattern, status: reply.status }, 'api request');
  await commit(req);

  if (fault?.kind === 'latency' && fault.processed) await state.delay(fault.latencyMs);
  if (fault && fault.kind !== 'latency') deliverFault(req, res, fault, isCreateRoute(match.pattern));
  else send(res, reply);
}

function deliverFault(req: IncomingMessage, res: ServerResponse, fault: Fault, create: boolean): void {
  if (fault.kind === 'reset') {
    req.socket.destroy();
    return;
  }
  const reply: Reply =
    fault.kind === 'status'
      ? json(fault.status, { status: 'ERROR', message: 'Falha simulada' })
      : // A success status with a body that is neither the documented shape nor even complete JSON.
        { status: create ? 201 : 200, headers: { 'content-type': 'application/json' }, body: '{"unexpected":true' };
  send(res, reply);
}

async function onControlRequest(state: PdvState, req: IncomingMessage, res: ServerResponse, commit: (req: IncomingMessage) => Promise<void>): Promise<void> {
  let body: string;
  try {
    body = await readBody(req);
  } catch {
    send(res, json(413, { error: 'body too large' }));
    return;
  }
  const url = new URL(req.url ?? '/', 'http://simulator');
  const reply = handleControl(state, req.method ?? 'GET', url.pathname, body);
  await commit(req);
  send(res, reply);
}
