/**
 * The offline explorer in headless Chromium (Debian's chromium via playwright-core): GraphiQL served by the
 * gateway alone (no request leaves loopback), the headers pane pre-filled with a dev viewer token, a query
 * run from the editor, and a subscription over graphql-ws showing an event caused by a mutation made over
 * HTTP by the test. Then production: no HTML unless EXPLORER_ENABLED=true, and never a dev token.
 */
import { get } from 'node:http';
import type { Locator, Page } from 'playwright-core';
import { verifyToken } from '../../src/auth/jwt';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, TestGateway, eventually } from '../helpers/gateway';
import { TestBrowser, describeWithChromium } from '../helpers/browser';

const BROWSER_HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The text of the CodeMirror 5 editor inside `scope` (GraphiQL 4's editors). */
async function editorText(scope: Locator): Promise<string> {
  return scope
    .locator('.CodeMirror')
    .first()
    .evaluate((el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
}

/** Opens the explorer with `query` in the editor and waits until GraphiQL is up (the first load bundles it). */
async function openExplorer(page: Page, gw: TestGateway, query: string): Promise<void> {
  const res = await page.goto(`${gw.url}?query=${encodeURIComponent(query)}`);
  expect(res?.status()).toBe(200);
  await page.locator('.graphiql-container').waitFor({ timeout: 90_000 });
  await eventually(async () => (await editorText(page.locator('.graphiql-query-editor'))) === query, 30_000);
}

async function responseText(page: Page): Promise<string> {
  return editorText(page.locator('.graphiql-response'));
}

/**
 * Starts a proof of life over HTTP as an operator. Works with either mutation shape: the payload form
 * (`{ transaction { id } userErrors { code } }`) when the schema has `RequestProofOfLifePayload`, else the
 * bare entity; the schema is asked by introspection.
 */
async function requestProofOfLife(gw: TestGateway): Promise<void> {
  const token = await gw.token('operator');
  const post = async (query: string, variables?: unknown) => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  };
  const probe = await post('{ __type(name: "RequestProofOfLifePayload") { name } }');
  const payload = Boolean(probe.data?.['__type']);
  const selection = payload ? '{ transaction { id } userErrors { code } }' : '{ id }';
  const r = await post(`mutation ($input: RequestProofOfLifeInput!) { requestProofOfLife(input: $input) ${selection} }`, {
    input: { cpf: CPF.authorizes, reason: 'explorer browser test' },
  });
  expect(r.errors).toBeUndefined();
  if (payload) expect((r.data?.['requestProofOfLife'] as { userErrors: unknown[] }).userErrors).toEqual([]);
}

describeWithChromium()('explorer in headless Chromium (development)', () => {
  let sim: PdvSim;
  let gw: TestGateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    sim = await PdvSim.start({ answerAfterMs: 300 });
    gw = await TestGateway.start({ pdvUrl: sim.url });
    browser = await TestBrowser.launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await sim?.close();
  });

  test('served by the gateway alone: the headers pane holds a dev viewer token and a query shows its result', async () => {
    const page = await browser.newPage();
    await openExplorer(page, gw, '{ eventCursor }');

    // The hint says where the header goes; the headers pane is open and holds a working viewer token.
    expect(await page.locator('.explorer-hint').textContent()).toContain('Authorization');
    const headers = JSON.parse(await editorText(page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)'))) as Record<string, string>;
    const token = /^Bearer (.+)$/.exec(headers['Authorization'] ?? '')?.[1];
    expect(token).toBeDefined();
    await expect(verifyToken(token!, gw.config.jwt)).resolves.toMatchObject({ role: 'viewer' });

    // `eventCursor` needs a viewer: a result (not UNAUTHENTICATED) shows the header was sent.
    await page.locator('.graphiql-execute-button').click();
    const shown = await eventually(async () => {
      const text = await responseText(page);
      return text.includes('eventCursor') ? text : null;
    }, 30_000);
    const body = JSON.parse(shown) as { data?: { eventCursor: number }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(typeof body.data?.eventCursor).toBe('number');

    const origin = new URL(gw.url).origin;
    expect(browser.requests).toEqual(expect.arrayContaining([`${origin}/_ui/explorer/main.js`, `${origin}/_ui/explorer/config.json`]));
    expect(browser.offLoopback()).toEqual([]);
    expect(browser.errors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    await page.close();
  }, 150_000);

  test('a subscription run in the editor (graphql-ws) shows the event of a mutation made over HTTP', async () => {
    const page = await browser.newPage();
    // Frames are recorded from the socket's creation: the subscribe frame may leave before any later wait.
    const sockets: string[] = [];
    const sent: string[] = [];
    page.on('websocket', (ws) => {
      sockets.push(ws.url());
      ws.on('framesent', (f) => sent.push(String(f.payload)));
    });
    await openExplorer(page, gw, 'subscription { transactionResponseChanged { seq type } }');
    await page.locator('.graphiql-execute-button').click();

    // The headers pane's token goes in connection_init; wait until the subscribe frame has left.
    await eventually(async () => sent.some((f) => f.includes('"subscribe"')), 30_000);
    expect(sockets).toEqual([gw.gw.server.wsUrl]);
    expect(sent.find((f) => f.includes('"connection_init"'))).toContain('Bearer ');
    await requestProofOfLife(gw);

    const shown = await eventually(async () => {
      const text = await responseText(page);
      return text.includes('transactionResponseChanged') ? text : null;
    }, 30_000);
    const event = (JSON.parse(shown) as { data: { transactionResponseChanged: { seq: number; type: string } } }).data.transactionResponseChanged;
    expect(event.seq).toBeGreaterThan(0);
    expect(typeof event.type).toBe('string');
    expect(browser.offLoopback()).toEqual([]);
    await page.close();
  }, 150_000);

  test('the page runs under a CSP without inline scripts; the dev token goes only to a loopback Host', async () => {
    const res = await fetch(gw.url, { headers: { accept: BROWSER_HTML_ACCEPT } });
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://${new URL(gw.url).host}`);
    const html = await res.text();
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script defer src="/_ui/explorer/main.js">']);
    // The dev token goes only to a loopback Host: not to a page whose name was rebound to 127.0.0.1.
    const settings = (host: string) =>
      new Promise<unknown>((resolve, reject) => {
        const u = new URL('/_ui/explorer/config.json', gw.url);
        get({ hostname: u.hostname, port: u.port, path: u.pathname, headers: { host } }, (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString()));
          r.on('end', () => resolve(JSON.parse(text)));
        }).on('error', reject);
      });
    expect(await settings(`evil.example:${new URL(gw.url).port}`)).toEqual({ devToken: null });
    expect(await settings(`localhost:${new URL(gw.url).port}`)).toEqual({ devToken: expect.stringMatching(/^eyJ/) });
    // API clients still reach Apollo on the same path.
    const api = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(await api.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('explorer in production', () => {
  const env = (extra: Record<string, string>) => ({
    NODE_ENV: 'production',
    JWT_SECRET: 'explorer-production-test-secret-0123456789',
    PDV_CLIENT_ID: 'orgao-explorer-test',
    PDV_CLIENT_SECRET: 'issued-by-govbr-explorer-test',
    PSEUDONYM_KEY: 'p'.repeat(40),
    REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    REPORT_LINK_KEY: 'explorer-report-link-key-0123456789-0123456789',
    ...extra,
  });
  let sim: PdvSim;

  beforeAll(async () => {
    sim = await PdvSim.start({ clientId: 'orgao-explorer-test', clientSecret: 'issued-by-govbr-explorer-test' });
  });
  afterAll(() => sim?.close());

  test('off by default: a browser gets no HTML at /graphql and no explorer assets', async () => {
    const gw = await TestGateway.start({ pdvUrl: sim.url, env: env({}) });
    try {
      const res = await fetch(gw.url, { headers: { accept: BROWSER_HTML_ACCEPT } });
      expect(res.headers.get('content-type')).not.toMatch(/html/);
      expect(await res.text()).not.toMatch(/<html|<script/i);
      const origin = new URL(gw.url).origin;
      for (const path of ['/_ui/explorer/main.js', '/_ui/explorer/config.json']) {
        expect((await fetch(origin + path)).status).toBe(404);
      }
    } finally {
      await gw.close();
    }
  }, 120_000);

  test('EXPLORER_ENABLED=true serves it, without a dev token', async () => {
    const gw = await TestGateway.start({ pdvUrl: sim.url, env: env({ EXPLORER_ENABLED: 'true' }) });
    try {
      const res = await fetch(gw.url, { headers: { accept: BROWSER_HTML_ACCEPT } });
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const origin = new URL(gw.url).origin;
      const config = await fetch(`${origin}/_ui/explorer/config.json`);
      expect(await config.json()).toEqual({ devToken: null });
      const js = await fetch(`${origin}/_ui/explorer/main.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    } finally {
      await gw.close();
    }
  }, 180_000);
});
