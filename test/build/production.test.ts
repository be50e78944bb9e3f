/**
 * The production build: `npm run build` output started with plain `node`
 * (no tsx) serves a query, a mutation and a subscription; with
 * SIMULATORS=false not one module under simulators/ is loaded (recorded by a
 * --require hook from the gateway's own require.cache at exit). The build
 * bundles the gateway into dist/src/main.js, so "loaded" is also checked one
 * level down: the bundle's source map lists every file inside it, and none of
 * them is simulator, Redis/BullMQ, pg or esbuild code.
 */
import { unwrap, type Unwrapped } from '../helpers/payload';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { RequestProofOfLifeDocument, TransactionDocument, TransactionResponseChangedDocument } from '../__generated__/graphql';
import { signToken, type Role } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { Collector, PERSISTED_DOCUMENTS_MANIFEST, PdvSim, SpidSim, type GraphQLResponse } from '../helpers/gateway';
import { GatewayProcess } from '../helpers/process';

const ROOT = resolve(__dirname, '../..');
const MAIN = resolve(ROOT, 'dist/src/main.js');
const HOOK = resolve(__dirname, 'record-modules.cjs');
const SECRET = 'production-build-test-secret-0123456789abcdef';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm test` builds before jest; a direct jest run rebuilds a missing or stale dist/. */
function ensureBuilt(): void {
  const stale =
    !existsSync(MAIN) || Math.max(newestMtime(resolve(ROOT, 'src')), newestMtime(resolve(ROOT, 'resolvers')), newestMtime(resolve(ROOT, 'ui'))) > statSync(MAIN).mtimeMs;
  if (stale) execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
}

async function gql<R, V>(gw: GatewayProcess, secret: string | undefined, doc: TypedDocumentNode<R, V>, variables: V, role: Role): Promise<Unwrapped<R>> {
  const token = await signToken(loadConfig({ NODE_ENV: 'test', JWT_SECRET: secret }).jwt, { sub: `build-${role}`, role });
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  const body = (await res.json()) as GraphQLResponse<R>;
  if (body.errors?.length || !body.data) throw new Error(JSON.stringify(body.errors));
  return unwrap(body.data);
}

/** Subscription, mutation, the citizen's answer arriving live, then a query of the stored row. */
async function proofOfLifeRoundTrip(gw: GatewayProcess, secret?: string): Promise<void> {
  const viewer = await signToken(loadConfig({ NODE_ENV: 'test', JWT_SECRET: secret }).jwt, { sub: 'build-viewer', role: 'viewer' });
  const ws = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${viewer}` }, retryAttempts: 0, lazy: false });
  try {
    const sub = Collector.subscribe(ws, TransactionResponseChangedDocument, { cpf: CPF.authorizes });
    const { requestProofOfLife: t } = await gql(gw, secret, RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'production build' } }, 'operator');
    expect(t.status).toBe('PENDING');
    const ev = await sub.waitFor((e) => e.transactionResponseChanged.type === 'AUTHORIZED', 30_000);
    expect(ev.transactionResponseChanged.transaction.id).toBe(t.id);
    const { transaction } = await gql(gw, secret, TransactionDocument, { id: t.id }, 'viewer');
    expect(transaction?.status).toBe('AUTHORIZED');
    sub.stop();
  } finally {
    await ws.dispose();
  }
}

/** The explorer and the dashboard (on outside production) are served from the bundles `npm run build` wrote to dist/ui/. */
async function explorerFromDist(gw: GatewayProcess): Promise<void> {
  const page = await fetch(gw.url, { headers: { accept: 'text/html' } });
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  const js = await fetch(new URL('/_ui/explorer/main.js', gw.url));
  expect(js.status).toBe(200);
  expect(Buffer.from(await js.arrayBuffer()).equals(readFileSync(resolve(ROOT, 'dist/ui/explorer/main.js')))).toBe(true);
  // The dashboard too (same switch), from its own bundle.
  const dashboard = await fetch(new URL('/dashboard', gw.url), { headers: { accept: 'text/html' } });
  expect(dashboard.headers.get('content-type')).toMatch(/^text\/html/);
  const djs = await fetch(new URL('/_ui/dashboard/main.js', gw.url));
  expect(Buffer.from(await djs.arrayBuffer()).equals(readFileSync(resolve(ROOT, 'dist/ui/dashboard/main.js')))).toBe(true);
}

/** Runs the built gateway to completion and returns the modules it loaded, relative to the repository. */
async function withRecordedModules(env: Record<string, string>, body: (gw: GatewayProcess) => Promise<void>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'build-test-'));
  const file = join(dir, 'modules.txt');
  try {
    const gw = await GatewayProcess.start(
      // Collector.subscribe sends the subscription by its persisted-document hash.
      { DATA_DIR: join(dir, 'data'), PERSISTED_DOCUMENTS: PERSISTED_DOCUMENTS_MANIFEST, NODE_OPTIONS: `--require "${HOOK}"`, RECORD_MODULES_FILE: file, ...env },
      120_000,
      { command: [process.execPath, MAIN] },
    );
    try {
      await body(gw);
    } finally {
      await gw.stop();
    }
    const root = ROOT + sep;
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((p) => p.startsWith(root))
      .map((p) => p.slice(root.length));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isSimulator = (p: string) => p.startsWith(join('dist', 'src', 'simulators') + sep);
// Scale-out and PostgreSQL clients: not needed by the embedded store, so not loaded (memory).
const isUnusedClient = (p: string) => /^node_modules[\\/](bullmq|ioredis|pg)[\\/]/.test(p);

/** The files esbuild put into a bundle, relative to the repository (from its source map). */
function bundledSources(bundle: string): string[] {
  const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
  const dir = resolve(bundle, '..');
  return map.sources.map((s) => resolve(dir, s).slice(ROOT.length + 1));
}

describe('production build (node dist/src/main.js)', () => {
  beforeAll(() => ensureBuilt(), 320_000);

  test('with the in-process simulators: query, mutation and subscription; the simulators are loaded', async () => {
    const loaded = await withRecordedModules(
      {
        SIMULATORS: 'true',
        SIMULATOR_ANSWER_AFTER_SECONDS: '1',
        POLL_INTERVAL_MS: '200',
        SIMULATOR_PDV_PORT: '0',
        SIMULATOR_PDV_CONTROL_PORT: '0',
        SIMULATOR_SPID_BASE_PORT: '0',
        SIMULATOR_SPID_CONTROL_PORT: '0',
        SIMULATOR_SPID_REMOTE_PORT: '0',
      },
      async (gw) => {
        await proofOfLifeRoundTrip(gw);
        await explorerFromDist(gw);
      },
    );
    // Plain JavaScript from dist/, and the hook sees dynamically imported modules.
    expect(loaded).toContain(join('dist', 'src', 'main.js'));
    expect(loaded).toContain(join('dist', 'src', 'simulators', 'provaDeVida', 'index.js'));
    expect(loaded).toContain(join('dist', 'src', 'simulators', 'spid', 'index.js'));
    expect(loaded.filter((p) => p.endsWith('.ts'))).toEqual([]);
    // The bundler stays a build tool: serving the explorer loads neither it nor esbuild.
    expect(loaded.filter((p) => /^node_modules[\\/]esbuild[\\/]/.test(p) || p.endsWith('ui-bundle.js'))).toEqual([]);
  }, 180_000);

  test('NODE_ENV=production, SIMULATORS=false: the same flow against external simulators, no simulator (nor Redis/pg) module loaded', async () => {
    // Production refuses the simulator's own client credentials and the dev keys: give it real-looking ones.
    const pdv = await PdvSim.start({ answerAfterMs: 1000, clientId: 'orgao-build-test', clientSecret: 'issued-by-govbr-build-test' });
    const spid = await SpidSim.start();
    try {
      const loaded = await withRecordedModules(
        {
          NODE_ENV: 'production',
          SIMULATORS: 'false',
          JWT_SECRET: SECRET,
          PDV_BASE_URL: pdv.url,
          PDV_CLIENT_ID: 'orgao-build-test',
          PDV_CLIENT_SECRET: 'issued-by-govbr-build-test',
          PSEUDONYM_KEY: 'k'.repeat(40),
          REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
          REPORT_LINK_KEY: 'l'.repeat(40),
          SPID_STATIONS: spid.stationsEnv,
          POLL_INTERVAL_MS: '200',
        },
        (gw) => proofOfLifeRoundTrip(gw, SECRET),
      );
      expect(loaded).toContain(join('dist', 'src', 'main.js'));
      expect(loaded.filter(isSimulator)).toEqual([]);
      expect(loaded.filter(isUnusedClient)).toEqual([]);
      // Inside the bundle: the gateway's own sources, and no simulator, Redis/BullMQ, pg or esbuild code.
      const inside = bundledSources(MAIN);
      expect(inside).toContain(join('src', 'app.ts'));
      expect(inside.filter((p) => p.startsWith(join('src', 'simulators') + sep))).toEqual([]);
      expect(inside.filter((p) => /^node_modules[\\/](bullmq|ioredis|pg|pg-native|esbuild|@electric-sql)[\\/]/.test(p))).toEqual([]);
    } finally {
      await Promise.all([pdv.close(), spid.close()]);
    }
  }, 180_000);
  // V8 keeps a script's source for the life of the process, as a two-byte string if it holds a single
  // character above U+007F: one regular expression of a dependency doubled the bundle's 6 MB (scripts/build.mjs).
  test('the bundles are ASCII-only, so V8 keeps their source as one-byte strings', () => {
    for (const bundle of [MAIN, ...['provaDeVida', 'spid'].map((s) => join(ROOT, 'dist', 'src', 'simulators', s, 'index.js'))]) {
      const text = readFileSync(bundle, 'latin1');
      expect({ bundle, nonAscii: /[^\x00-\x7f]/.exec(text)?.index ?? null }).toEqual({ bundle, nonAscii: null });
    }
  });
});
