/**
 * SPID Services simulator: several capture stations (one HTTP port each,
 * API under `/gbs-spid-services/api`), the external remote-capture service
 * the citizen's phone talks to, and a control API for tests. See README.md.
 *
 * Independent of `src/upstreams/spid/` on purpose: the contract is implemented
 * twice, so a misreading shared by client and simulator cannot hide.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { maskCpf } from '../../domain/cpf';
import { SimStateFile } from '../persist';
import { renderPdf } from './pdf';
import { restoreWorld, snapshotWorld, type SpidSnapshot } from './snapshot';
import { DEFAULT_TIMINGS, SimError, SpidWorld, Station, asObject, type CaptureKind, type SpidTimings } from './world';

export { SPID_MAGIC_CPFS, DEFAULT_TIMINGS as SPID_DEFAULT_TIMINGS } from './world';
export type { SpidTimings } from './world';

export const SPID_API_PREFIX = '/gbs-spid-services/api';

export interface SpidSimulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 3 */
  stations?: number;
  /** One port per station (basePort, basePort+1, ...); 0 = ephemeral ports. @default 0 */
  basePort?: number;
  /** @default 0 (ephemeral) */
  controlPort?: number;
  /** The external remote-capture service. @default 0 (ephemeral) */
  remotePort?: number;
  /** Automatic progress; see `SPID_DEFAULT_TIMINGS` for the defaults. */
  timings?: Partial<SpidTimings>;
  /** Optional bearer token per station id; a station without one accepts any request. */
  stationTokens?: Record<string, string>;
  /** Clock for timestamps (report, results). @default () => new Date() */
  now?: () => Date;
  /**
   * Keep the stations and results in `<stateDir>/spid.json` (locked: one process per file), so a
   * restart resumes every capture, pending send and remote link. @default memory only
   */
  stateDir?: string;
}

export interface SpidSimulator {
  stations: { id: string; name: string; baseUrl: string }[];
  controlUrl: string;
  remoteServiceUrl: string;
  close(): Promise<void>;
}

type FaultKind = 'status' | 'latency' | 'reset' | 'malformed';
interface Fault {
  station: string;
  route: RegExp;
  kind: FaultKind;
  status: number;
  latencyMs: number;
  remaining: number;
}

interface Counters {
  total: number;
  byStation: Record<string, { total: number; byRoute: Record<string, number> }>;
  byTguid: Record<string, { resultReads: number }>;
}

type Reply = {
  status?: number;
  json?: unknown;
  pdf?: Buffer;
  html?: string;
  /** A report in another format than PDF (control `PUT /report-format`). */
  file?: { bytes: Buffer; contentType: string };
  /** Answer after this long (Login asks the station's server first). */
  delayMs?: number;
};
interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pattern: RegExp;
  /** Counter key, e.g. `GET /capture/result/{tguid}`. */
  key: string;
  /** Read-only: answered without waiting for a state write. */
  read?: boolean;
  handle: (params: string[], body: unknown) => Reply;
}

const MAX_BODY = 64 * 1024;

/**
 * Test hooks for tolerant readers, beyond the contract: a status word the
 * contract does not list (`POST /oddities`), and a report that is not a PDF
 * (`PUT /report-format`).
 */
interface Oddity {
  station: string;
  route: RegExp;
  status: string;
  remaining: number;
}
const REPORT_FORMATS = ['application/pdf', 'image/png', 'text/plain'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];
/** A valid 1×1 PNG (signature, IHDR, IDAT, IEND). */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

function errorBody(e: SimError) {
  return { errors: [{ code: e.code, message: e.message }], type: e.type };
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new SimError(400, 'VALIDATION_ERROR', 'BODY_TOO_LARGE', 'Body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new SimError(400, 'VALIDATION_ERROR', 'INVALID_BODY', 'The body is not valid JSON'));
      }
    });
  });
}

function send(res: http.ServerResponse, reply: Reply): void {
  const status = reply.status ?? 200;
  if (reply.pdf) {
    res.writeHead(status, { 'content-type': 'application/pdf', 'content-length': reply.pdf.length });
    res.end(reply.pdf);
  } else if (reply.file) {
    res.writeHead(status, { 'content-type': reply.file.contentType, 'content-length': reply.file.bytes.length });
    res.end(reply.file.bytes);
  } else if (reply.html !== undefined) {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(reply.html);
  } else {
    const text = reply.json === undefined ? '' : JSON.stringify(reply.json);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startSpidSimulator(opts: SpidSimulatorOptions = {}): Promise<SpidSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const count = opts.stations ?? 3;
  const world = new SpidWorld({ ...DEFAULT_TIMINGS, ...opts.timings }, opts.now ?? (() => new Date()), '');
  for (let i = 1; i <= count; i++) {
    const id = `station-${i}`;
    world.stations.set(id, new Station(id, `Station ${i}`, opts.stationTokens?.[id]));
  }
  const file = opts.stateDir ? await SimStateFile.open<SpidSnapshot>(opts.stateDir, 'spid', 'spid simulator', () => snapshotWorld(world)) : null;
  const saved = file?.load();
  if (saved) restoreWorld(world, saved);
  if (file) world.onChange = () => file.touch();
  // A changing request is answered after its change is on disk, as a real upstream answers after its commit.
  const commit = (route: Route | undefined): Promise<void> => (file && route && !route.read ? file.commit() : Promise.resolve());

  let faults: Fault[] = [];
  let oddities: Oddity[] = [];
  let reportFormat: ReportFormat = 'application/pdf';
  let counters: Counters = { total: 0, byStation: {}, byTguid: {} };
  const sleepers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        sleepers.delete(t);
        resolve();
      }, ms);
      sleepers.add(t);
    });

  const resultReply = (tguid: string, channel: 'PRESENTIAL' | 'REMOTE'): Reply => {
    const rec = world.result(tguid, channel);
    return { json: { tguid: rec.tguid, status: rec.status } };
  };

  const stationRoutes = (st: Station): Route[] => [
    { method: 'GET', pattern: /^\/login\/status$/, key: 'GET /login/status', read: true, handle: () => ({ json: world.loginStatus(st) }) },
    {
      method: 'GET',
      pattern: /^\/login\/([^/]+)$/,
      key: 'GET /login/{cpf}',
      handle: ([cpf]) => ({ json: { status: world.login(st, cpf ?? '') }, delayMs: world.timings.loginSettleMs }),
    },
    { method: 'GET', pattern: /^\/verify\/([^/]+)$/, key: 'GET /verify/{cpf}', handle: ([cpf]) => ({ json: { status: world.verify(st, cpf ?? '') } }) },
    { method: 'POST', pattern: /^\/enroll$/, key: 'POST /enroll', handle: (_, body) => ({ json: { status: world.enroll(st, body) } }) },
    { method: 'GET', pattern: /^\/capture\/status$/, key: 'GET /capture/status', read: true, handle: () => ({ json: world.captureStatus(st) }) },
    { method: 'POST', pattern: /^\/capture\/operator$/, key: 'POST /capture/operator', handle: () => ({ json: { status: world.operatorCapture(st) } }) },
    { method: 'POST', pattern: /^\/capture\/send$/, key: 'POST /capture/send', handle: () => ({ json: world.send(st) }) },
    { method: 'GET', pattern: /^\/capture\/result\/([^/]+)$/, key: 'GET /capture/result/{tguid}', read: true, handle: ([t]) => resultReply(t ?? '', 'PRESENTIAL') },
    {
      method: 'GET',
      pattern: /^\/capture\/report\/([^/]+)$/,
      key: 'GET /capture/report/{tguid}',
      read: true,
      handle: ([t]) => {
        const rec = world.report(t ?? '');
        const lines = [
          `TGUID: ${rec.tguid}`,
          `Outcome: ${rec.status}`,
          `Operation: ${rec.kind} (${rec.channel})`,
          `CPF: ${maskCpf(rec.cpf)}`,
          `Station: ${rec.stationId}`,
          `Started: ${rec.createdAt.toISOString()}`,
          `Time: ${world.now().toISOString()}`,
        ];
        if (reportFormat === 'image/png') return { file: { bytes: TINY_PNG, contentType: 'image/png' } };
        if (reportFormat === 'text/plain') return { file: { bytes: Buffer.from(lines.join('\n') + '\n', 'utf8'), contentType: 'text/plain; charset=utf-8' } };
        return { pdf: renderPdf('SPID capture report', lines) };
      },
    },
    { method: 'POST', pattern: /^\/capture\/resend$/, key: 'POST /capture/resend', handle: () => ({ json: world.resend(st) }) },
    { method: 'POST', pattern: /^\/remote\/verify$/, key: 'POST /remote/verify', handle: (_, b) => ({ json: world.remoteStart(st, 'VERIFY', b) }) },
    { method: 'POST', pattern: /^\/remote\/enroll$/, key: 'POST /remote/enroll', handle: (_, b) => ({ json: world.remoteStart(st, 'ENROLL', b) }) },
    { method: 'GET', pattern: /^\/remote\/result\/([^/]+)$/, key: 'GET /remote/result/{tguid}', read: true, handle: ([t]) => resultReply(t ?? '', 'REMOTE') },
  ];

  function match(routes: Route[], method: string, path: string): { route: Route; params: string[] } | null {
    for (const route of routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (m) return { route, params: m.slice(1).map(safeDecode) };
    }
    return null;
  }

  function countRequest(stationId: string, key: string, params: string[]): void {
    counters.total++;
    const s = (counters.byStation[stationId] ??= { total: 0, byRoute: {} });
    s.total++;
    s.byRoute[key] = (s.byRoute[key] ?? 0) + 1;
    if (key.endsWith('/result/{tguid}') && params[0]) {
      const t = (counters.byTguid[params[0]] ??= { resultReads: 0 });
      t.resultReads++;
    }
  }

  /** The first fault (or oddity) with uses left that matches the station and one of the route candidates; consumes one use. */
  function takeFirst<T extends { station: string; route: RegExp; remaining: number }>(list: T[], stationId: string, candidates: string[]): T | null {
    for (const item of list) {
      if (item.remaining <= 0) continue;
      if (item.station !== '*' && item.station !== stationId) continue;
      if (!candidates.some((c) => item.route.test(c))) continue;
      item.remaining--;
      return item;
    }
    return null;
  }

  async function serveStation(st: Station, routes: Route[], req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sim');
    const full = url.pathname;
    const path = full.startsWith(SPID_API_PREFIX) ? full.slice(SPID_API_PREFIX.length) || '/' : null;
    const found = path === null ? null : match(routes, method, path);
    const key = found?.route.key ?? `${method} (unknown)`;
    countRequest(st.id, key, found?.params ?? []);

    // Matched against the route key, the real path, and both without the method.
    const candidates = [key, `${method} ${path ?? full}`, key.replace(/^\S+ /, ''), path ?? full];
    // Switched off at the control API: no answer at all, as a station that is off or unplugged.
    if (st.offline) {
      req.socket.destroy();
      return;
    }
    const fault = takeFirst(faults, st.id, candidates);
    if (fault?.kind === 'latency') await sleep(fault.latencyMs);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      const e = new SimError(fault.status, 'INTERNAL_ERROR', 'INJECTED_FAULT', 'Injected failure');
      return send(res, { status: fault.status, json: errorBody(e) });
    }
    if (fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': key.includes('/report/') ? 'application/pdf' : 'application/json' });
      res.end('{"status":"CLIENT_CAPT');
      return;
    }

    if (st.token !== undefined && req.headers.authorization !== `Bearer ${st.token}`) {
      const e = new SimError(401, 'SECURITY_ERROR', 'INVALID_TOKEN', 'Missing or invalid station token');
      return send(res, { status: 401, json: errorBody(e) });
    }
    if (!found) {
      const e = new SimError(404, 'PROCESSING_ERROR', 'ROUTE_NOT_FOUND', 'No such route');
      return send(res, { status: 404, json: errorBody(e) });
    }
    const body = method === 'POST' ? await readBody(req) : undefined;
    let reply = found.route.handle(found.params, body);
    const odd = takeFirst(oddities, st.id, candidates);
    if (odd && typeof reply.json === 'object' && reply.json !== null && 'status' in reply.json) {
      // Only the word changes: the station's state goes on as if it had answered the usual one.
      reply = { ...reply, json: { ...(reply.json as Record<string, unknown>), status: odd.status } };
    }
    await commit(found.route);
    if (reply.delayMs) await sleep(reply.delayMs);
    send(res, reply);
  }

  function handler(serve: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>): http.RequestListener {
    return (req, res) => {
      serve(req, res).catch((err: unknown) => {
        if (res.headersSent || res.destroyed) return;
        const e = err instanceof SimError ? err : new SimError(500, 'INTERNAL_ERROR', 'INTERNAL_ERROR', 'Simulator failure');
        send(res, { status: e.httpStatus, json: errorBody(e) });
      });
    };
  }

  const servers: http.Server[] = [];
  // A port already taken: close what was opened and give the state file (and its lock) back.
  const bind = (server: http.Server, port: number): Promise<number> =>
    listen(server, port, host).catch(async (err: unknown) => {
      for (const s of servers) s.close();
      await file?.close();
      throw err;
    });
  const stations: SpidSimulator['stations'] = [];
  let index = 0;
  for (const st of world.stations.values()) {
    const routes = stationRoutes(st);
    const server = http.createServer({ keepAliveTimeout: 5000 }, handler((req, res) => serveStation(st, routes, req, res)));
    servers.push(server);
    const port = await bind(server, opts.basePort ? opts.basePort + index : 0);
    stations.push({ id: st.id, name: st.name, baseUrl: `http://${host}:${port}${SPID_API_PREFIX}` });
    index++;
  }

  // ---- the external remote-capture service (the citizen's phone) -------------
  const remoteServer = http.createServer(
    handler(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://sim');
      const m = /^\/r\/([^/]+)$/.exec(url.pathname);
      const tguid = m?.[1] ? decodeURIComponent(m[1]) : '';
      const rec = world.results.get(tguid);
      if (!rec || rec.channel !== 'REMOTE') return send(res, { status: 404, html: '<!doctype html><title>SPID</title><p>Link not found.</p>' });
      if (req.method === 'POST') {
        await readBody(req).catch(() => undefined);
        const answered = world.answer(tguid);
        await file?.commit();
        return send(res, { json: { tguid, status: answered.status } });
      }
      const open = rec.status === 'WAITING_CLIENT';
      const html =
        `<!doctype html><html><head><meta charset="utf-8"><title>SPID remote capture</title></head><body>` +
        `<h1>SPID remote ${rec.kind === 'VERIFY' ? 'verification' : 'enrollment'}</h1><p>Transaction ${escapeHtml(tguid)}: ${escapeHtml(rec.status)}</p>` +
        (open ? `<form method="post"><button type="submit">Submit biometrics</button></form>` : `<p>This link is no longer open.</p>`) +
        `</body></html>`;
      return send(res, { status: rec.status === 'EXPIRED' ? 410 : 200, html });
    }),
  );
  servers.push(remoteServer);
  const remotePort = await bind(remoteServer, opts.remotePort ?? 0);
  const remoteServiceUrl = `http://${host}:${remotePort}`;
  world.remoteServiceUrl = remoteServiceUrl;

  // ---- control API ------------------------------------------------------------
  const controlRoutes: Route[] = [
    { method: 'GET', pattern: /^\/counters$/, key: 'counters', read: true, handle: () => ({ json: counters }) },
    {
      method: 'POST',
      pattern: /^\/counters\/reset$/,
      key: 'counters-reset',
      handle: () => {
        counters = { total: 0, byStation: {}, byTguid: {} };
        return { json: { ok: true } };
      },
    },
    {
      method: 'GET',
      pattern: /^\/stations$/,
      key: 'stations',
      read: true,
      handle: () => ({
        json: [...world.stations.values()].map((st) => ({
          id: st.id,
          name: st.name,
          paused: st.paused,
          offline: st.offline,
          operator: st.operator,
          capture: st.capture,
          steps: [...st.steps.keys()],
        })),
      }),
    },
    {
      method: 'POST',
      pattern: /^\/stations\/([^/]+)\/advance$/,
      key: 'advance',
      handle: ([id], b) => {
        const tguid = asObject(b).tguid;
        return { json: { advanced: world.advance(world.station(id ?? ''), typeof tguid === 'string' ? tguid : undefined) } };
      },
    },
    { method: 'POST', pattern: /^\/stations\/([^/]+)\/fail$/, key: 'fail', handle: ([id], b) => ({ json: world.fail(world.station(id ?? ''), asObject(b).status) }) },
    {
      method: 'POST',
      pattern: /^\/stations\/([^/]+)\/(pause|resume)$/,
      key: 'pause',
      handle: ([id, what]) => {
        const st = world.station(id ?? '');
        if (what === 'pause') st.pause();
        else st.resume();
        return { json: { id: st.id, paused: st.paused } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/stations\/([^/]+)\/(offline|online)$/,
      key: 'offline',
      handle: ([id, what]) => {
        const st = world.station(id ?? '');
        st.offline = what === 'offline';
        return { json: { id: st.id, offline: st.offline } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/stations\/([^/]+)\/logout$/,
      key: 'logout',
      handle: ([id]) => {
        // The operator logs out at the desk (the contract has no Logout call): Login Status then says NOT_LOGGED_IN.
        const st = world.station(id ?? '');
        st.operator = null;
        return { json: { id: st.id, operator: null } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/pending\/fix$/,
      key: 'fix',
      handle: (_, b) => {
        const tguid = asObject(b).tguid;
        return { json: { fixed: world.fix(typeof tguid === 'string' ? tguid : undefined) } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/remote\/([^/]+)\/answer$/,
      key: 'answer',
      handle: ([t]) => {
        const rec = world.answer(t ?? '');
        return { json: { tguid: rec.tguid, status: rec.status } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/faults$/,
      key: 'faults',
      handle: (_, body) => {
        const b = asObject(body);
        const kinds: FaultKind[] = ['status', 'latency', 'reset', 'malformed'];
        if (!kinds.includes(b.kind as FaultKind)) throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_FAULT', 'kind must be status|latency|reset|malformed');
        const num = (v: unknown, dflt: number) => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
        const fault: Fault = {
          station: typeof b.station === 'string' ? b.station : '*',
          route: globToRegExp(typeof b.route === 'string' ? b.route : '*'),
          kind: b.kind as FaultKind,
          status: num(b.status, 503),
          latencyMs: num(b.latencyMs, 1000),
          remaining: num(b.count, Number.POSITIVE_INFINITY),
        };
        faults.push(fault);
        return { status: 201, json: { faults: faults.length } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/oddities$/,
      key: 'oddities',
      handle: (_, body) => {
        const b = asObject(body);
        if (typeof b.status !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(b.status)) {
          throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_ODDITY', 'status must be 1-64 letters, digits, _ . -');
        }
        oddities.push({
          station: typeof b.station === 'string' ? b.station : '*',
          route: globToRegExp(typeof b.route === 'string' ? b.route : '*'),
          status: b.status,
          remaining: typeof b.count === 'number' && Number.isFinite(b.count) ? b.count : Number.POSITIVE_INFINITY,
        });
        return { status: 201, json: { oddities: oddities.length } };
      },
    },
    {
      method: 'PUT',
      pattern: /^\/report-format$/,
      key: 'report-format',
      handle: (_, body) => {
        const f = asObject(body).contentType;
        if (!(REPORT_FORMATS as readonly unknown[]).includes(f)) {
          throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_FORMAT', `contentType must be one of ${REPORT_FORMATS.join(', ')}`);
        }
        reportFormat = f as ReportFormat;
        return { json: { contentType: reportFormat } };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/faults$/,
      key: 'faults-clear',
      handle: () => {
        faults = [];
        return { json: { faults: 0 } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/reset$/,
      key: 'reset',
      handle: () => {
        world.reset();
        faults = [];
        oddities = [];
        reportFormat = 'application/pdf';
        counters = { total: 0, byStation: {}, byTguid: {} };
        return { json: { ok: true } };
      },
    },
    { method: 'GET', pattern: /^\/config$/, key: 'config-get', read: true, handle: () => ({ json: { timings: world.timings } }) },
    { method: 'PUT', pattern: /^\/config$/, key: 'config', handle: (_, b) => ({ json: { timings: world.setTimings(asObject(b).timings) } }) },
  ];
  const controlServer = http.createServer(
    handler(async (req, res) => {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://sim');
      const found = match(controlRoutes, method, url.pathname);
      if (!found) {
        const e = new SimError(404, 'PROCESSING_ERROR', 'ROUTE_NOT_FOUND', 'No such control route');
        return send(res, { status: 404, json: errorBody(e) });
      }
      const body = method === 'GET' ? undefined : await readBody(req);
      const reply = found.route.handle(found.params, body);
      await commit(found.route);
      send(res, reply);
    }),
  );
  servers.push(controlServer);
  const controlPort = await bind(controlServer, opts.controlPort ?? 0);

  let closed = false;
  return {
    stations,
    controlUrl: `http://${host}:${controlPort}`,
    remoteServiceUrl,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of sleepers) clearTimeout(t);
      sleepers.clear();
      const done = Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              // Keep-alive sockets would hold close() open until they time out.
              server.closeAllConnections();
            }),
        ),
      );
      // Saved before the timers go: scheduled steps are part of the state.
      await file?.close();
      world.close();
      await done;
    },
  };
}

export type { CaptureKind };
