import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startGateway, type Gateway } from '../../src/app';
import { signToken, type Role } from '../../src/auth/jwt';
import { assertNoUserErrors, unwrap, type Unwrapped } from './payload';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startProvaDeVidaSimulator, type ProvaDeVidaSimulator, type ProvaDeVidaSimulatorOptions } from '../../src/simulators/provaDeVida';
import { startSpidSimulator, type SpidSimulator, type SpidSimulatorOptions } from '../../src/simulators/spid';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

/** One call to a simulator's control API (JSON in, JSON out). */
async function controlCall<T>(controlUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(controlUrl + path, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`control ${method} ${path} → ${res.status}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A Prova de Vida simulator on loopback with a typed control API. */
export class PdvSim {
  private constructor(readonly sim: ProvaDeVidaSimulator) {}

  static async start(opts: ProvaDeVidaSimulatorOptions = {}): Promise<PdvSim> {
    return new PdvSim(await startProvaDeVidaSimulator({ answerAfterMs: 500, ...opts }));
  }

  get url(): string {
    return this.sim.url;
  }

  async control<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return controlCall<T>(this.sim.controlUrl, method, path, body);
  }

  async counters(): Promise<{ total: number; byRoute: Record<string, number>; byTransaction: Record<string, { reads: number }> }> {
    return this.control('GET', '/counters');
  }

  /** Upstream requests other than the token endpoint. */
  async apiCalls(): Promise<number> {
    const c = await this.counters();
    return c.total - (c.byRoute['POST /auth/oauth/token'] ?? 0);
  }

  close(): Promise<void> {
    return this.sim.close();
  }
}

/** A SPID simulator (several stations) on loopback with a typed control API. */
export class SpidSim {
  private constructor(readonly sim: SpidSimulator) {}

  static async start(opts: SpidSimulatorOptions = {}): Promise<SpidSim> {
    return new SpidSim(await startSpidSimulator({ stations: 3, ...opts }));
  }

  /** The gateway's SPID_STATIONS value for this simulator. */
  get stationsEnv(): string {
    return JSON.stringify(this.sim.stations);
  }

  async control<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return controlCall<T>(this.sim.controlUrl, method, path, body);
  }

  async counters(): Promise<{ total: number; byStation: Record<string, { total: number; byRoute: Record<string, number> }>; byTguid: Record<string, { resultReads: number }> }> {
    return this.control('GET', '/counters');
  }

  close(): Promise<void> {
    return this.sim.close();
  }
}

/** The manifest codegen writes next to the typed documents (codegen.yml `persistedDocuments`). */
export const PERSISTED_DOCUMENTS_MANIFEST = resolve(__dirname, '../__generated__/persisted-documents.json');
/** The client recipes' manifest (examples/clients, README "Client recipes"). */
export const CLIENT_DOCUMENTS_MANIFEST = resolve(__dirname, '../../examples/clients/__generated__/persisted-documents.json');
/** PERSISTED_DOCUMENTS for a test gateway: both manifests. */
export const PERSISTED_DOCUMENTS_ENV = `${PERSISTED_DOCUMENTS_MANIFEST},${CLIENT_DOCUMENTS_MANIFEST}`;

/** The hash codegen embedded in a typed document (`__meta__.hash`), if any. */
export function documentHash(doc: unknown): string | null {
  const hash = (doc as { __meta__?: { hash?: unknown } } | null)?.__meta__?.hash;
  return typeof hash === 'string' ? hash : null;
}

/**
 * What a client sends for a typed document: its persisted id when codegen gave it one (the way
 * the gateway is meant to be used in production), else the document's text.
 */
export function operationBody(doc: TypedDocumentNode<unknown, unknown>): { documentId: string } | { query: string } {
  const hash = documentHash(doc);
  return hash ? { documentId: hash } : { query: print(doc) };
}

/** For gateways whose test does not touch SPID: a station nobody listens on. */
const NO_STATIONS = JSON.stringify([{ id: 'unused', name: 'unused', baseUrl: 'http://127.0.0.1:9/gbs-spid-services/api' }]);

export interface TestGatewayOptions {
  pdvUrl: string;
  /** SPID_STATIONS JSON (SpidSim.stationsEnv). @default a station nobody listens on */
  spidStations?: string;
  /** Receives every log line (JSON) the gateway writes; set LOG_LEVEL in `env` too. */
  logSink?: (line: string) => void;
  dataDir?: string;
  env?: Record<string, string>;
  /** Turns tracing on: every span the gateway ends is handed to this exporter (e.g. InMemorySpanExporter). */
  traceExporter?: SpanExporter;
}

/** A disposable gateway on an ephemeral loopback port, its own DATA_DIR unless one is given. */
export class TestGateway {
  private constructor(
    readonly gw: Gateway,
    readonly config: Config,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {}

  static async start(opts: TestGatewayOptions): Promise<TestGateway> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'gw-test-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      SIMULATORS: 'false',
      PDV_BASE_URL: opts.pdvUrl,
      SPID_STATIONS: opts.spidStations ?? NO_STATIONS,
      SPID_SLOW_POLL_MS: '300',
      WS_MAX_CONNECTIONS_PER_USER: '100',
      WS_MAX_SUBSCRIPTIONS_PER_USER: '1000',
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      PDV_API_VERSION: 'vbeta4',
      POLL_INTERVAL_MS: '150',
      POLL_BACKOFF_FACTOR: '1.5',
      POLL_MAX_INTERVAL_MS: '1000',
      LOG_LEVEL: 'silent',
      // Typed documents go by hash (see `request`); raw strings still work (ONLY stays off unless a test sets it).
      PERSISTED_DOCUMENTS: PERSISTED_DOCUMENTS_ENV,
      ...opts.env,
    });
    const sink = opts.logSink;
    const destination = sink ? { write: (line: string) => sink(line) } : undefined;
    const gw = await startGateway(config, createLogger(config.logLevel, destination), { traceExporter: opts.traceExporter });
    return new TestGateway(gw, config, dataDir, opts.dataDir === undefined);
  }

  get url(): string {
    return this.gw.server.url;
  }

  token(role: Role, sub = `test-${role}`, stations?: string[]): Promise<string> {
    return signToken(this.config.jwt, { sub, role, stations });
  }

  /** POST a typed document over real HTTP: by its persisted id when it has one (codegen's hash), else its text. */
  async request<R, V>(doc: TypedDocumentNode<R, V>, variables: V, role: Role | null = 'operator'): Promise<GraphQLResponse<R>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (role) headers['authorization'] = `Bearer ${await this.token(role)}`;
    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify({ ...operationBody(doc as TypedDocumentNode<unknown, unknown>), variables }) });
    return (await res.json()) as GraphQLResponse<R>;
  }

  /** Like `request`, but fails the test on any GraphQL error or userError. */
  async ok<R, V>(doc: TypedDocumentNode<R, V>, variables: V, role: Role = 'operator'): Promise<R> {
    const r = await this.request(doc, variables, role);
    if (r.errors?.length || !r.data) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
    assertNoUserErrors(r.data);
    return r.data;
  }

  /** Like `ok`, with each single-entity mutation payload replaced by its entity (see helpers/payload.ts). */
  async done<R, V>(doc: TypedDocumentNode<R, V>, variables: V, role: Role = 'operator'): Promise<Unwrapped<R>> {
    return unwrap(await this.ok(doc, variables, role));
  }

  async wsClient(role: Role = 'viewer'): Promise<Client> {
    const token = await this.token(role);
    return createClient({
      url: this.gw.server.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
    });
  }

  async close(opts: { keepData?: boolean } = {}): Promise<void> {
    await this.gw.close();
    if (this.ownsDataDir && !opts.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Collects a subscription's events; `waitFor` resolves when a matching one has arrived. */
export class Collector<T> {
  readonly items: T[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  private waiters: { pred: (t: T) => boolean; resolve: (t: T) => void }[] = [];
  private unsubscribe: () => void = () => undefined;

  /** Subscribes by the document's persisted id when it has one (graphql-ws wants a `query` string: empty), else by its text. */
  static subscribe<R, V extends Record<string, unknown>>(client: Client, doc: TypedDocumentNode<R, V>, variables: V): Collector<R> {
    const hash = documentHash(doc);
    return Collector.subscribePayload<R>(client, hash ? { query: '', documentId: hash, variables } : { query: print(doc), variables });
  }

  /** Any subscribe payload, e.g. `documentId` or `extensions.persistedQuery` (not in graphql-ws's payload type, read by the gateway). */
  static subscribePayload<R>(client: Client, payload: { query: string } & Record<string, unknown>): Collector<R> {
    const c = new Collector<R>();
    c.unsubscribe = client.subscribe<R>(
      payload,
      {
        next: (msg) => {
          if (msg.errors) c.errors.push(msg.errors);
          if (msg.data) c.push(msg.data);
        },
        error: (err) => c.errors.push(err),
        complete: () => {
          c.completed = true;
        },
      },
    );
    return c;
  }

  private push(t: T): void {
    this.items.push(t);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(t)) return true;
      w.resolve(t);
      return false;
    });
  }

  waitFor(pred: (t: T) => boolean, timeoutMs = 15_000, what = 'event'): Promise<T> {
    const found = this.items.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.items)} errors ${JSON.stringify(this.errors)}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  }

  stop(): void {
    this.unsubscribe();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (bounded). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(stepMs);
  }
}
