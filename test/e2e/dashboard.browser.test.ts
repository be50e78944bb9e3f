/**
 * The live operations dashboard (`/dashboard`) in headless Chromium (Debian's chromium via playwright-core),
 * against real simulators: a proof of life and a presential capture appear and advance without reload;
 * after a socket drop forced server-side and after a gateway restart (same port, same DATA_DIR) it shows
 * "Reconnecting…", resumes, and every row and count equals what the API reports, with no duplicate row.
 * No request leaves loopback. `DASHBOARD_SCREENSHOT=1` also writes docs/dashboard.png from the seeded state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { PDV_MAGIC_CPFS as PDV_CPF } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS as SPID_CPF } from '../../src/simulators/spid';
import { RequestProofOfLifeDocument } from '../__generated__/graphql';
import { PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';
import { TestBrowser, describeWithChromium } from '../helpers/browser';
import { freeConsecutivePorts } from '../helpers/ports';

const TIMINGS = { clientCaptureMs: 700, operatorCaptureMs: 700, verifyProcessingMs: 700, enrollProcessingMs: 700, loginSettleMs: 50 };
const IN_FLIGHT = ['STARTING', 'CLIENT_CAPTURING', 'CLIENT_CAPTURE_DONE', 'OPERATOR_CAPTURING', 'OPERATOR_CAPTURE_DONE', 'SENDING', 'CAPTURE_PENDING', 'PROCESSING', 'PERSON_NOT_FOUND'];

interface Shown {
  stations: { id: string; connectivity: string; busy: string }[];
  captures: { id: string; status: string }[];
  feed: { id: string; status: string }[];
  counts: Record<string, string>;
}

/**
 * What the page shows, read from its data-* attributes. Sent as source text: the test's tsconfig has no DOM
 * types, and this runs in the page.
 */
const SHOWN_IN_PAGE = `(() => {
  const rows = (sel, idAttr) => [...document.querySelectorAll(sel)].map((e) => ({ id: e.getAttribute(idAttr) ?? '', status: e.dataset.status ?? '' }));
  const counts = {};
  for (const box of document.querySelectorAll('[data-count-kind]')) {
    const kind = box.dataset.countKind;
    counts[kind + '.total'] = box.querySelector('[data-total]')?.textContent ?? '';
    for (const dd of box.querySelectorAll('dd[data-status]')) counts[kind + '.' + dd.dataset.status] = dd.textContent ?? '';
  }
  return {
    stations: [...document.querySelectorAll('[data-station-id]')].map((e) => ({ id: e.dataset.stationId, connectivity: e.dataset.connectivity, busy: e.dataset.busy })),
    captures: rows('tr[data-capture-id]', 'data-capture-id'),
    feed: rows('tr[data-transaction-id]', 'data-transaction-id'),
    counts,
  };
})()`;
/**
 * The lowest text contrast on the page (WCAG relative luminance), over every element with its own text;
 * the background is the first opaque one up the tree.
 */
const MIN_CONTRAST_IN_PAGE = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  let min = 21, where = '';
  for (const el of document.querySelectorAll('body *')) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    if (el.closest('.sr-only, [hidden]')) continue;
    const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < min) { min = ratio; where = el.tagName + ' ' + el.textContent.trim().slice(0, 30); }
  }
  return { min, where };
})()`;

const shown = (page: Page): Promise<Shown> => page.evaluate(SHOWN_IN_PAGE) as Promise<Shown>;

describeWithChromium()('operations dashboard in headless Chromium', () => {
  let spid: SpidSim;
  let pdv: PdvSim;
  let gw: TestGateway;
  let browser: TestBrowser;
  let page: Page;
  let port: number;
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-dashboard-'));
  const startGateway = () =>
    TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, dataDir, env: { PORT: String(port), STATION_POLL_INTERVAL_MS: '300' } });

  /** GraphQL over HTTP as `role`; fails the test on any error. */
  async function api<T>(query: string, variables: Record<string, unknown> = {}, role: 'viewer' | 'operator' = 'viewer'): Promise<T> {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token(role)}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown[] };
    if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  /** A mutation over HTTP as an operator, in the 1.0 payload form; fails the test on a userError. Returns its entity's id. */
  async function mutate(name: string, args: string, vars: Record<string, unknown>, entity: string | null): Promise<string | null> {
    const defs = `(${Object.keys(vars).map((k) => `$${k}: ${VAR_TYPES[k]}`).join(', ')})`;
    const selection = `{ ${entity ? `${entity} { id }` : ''} userErrors { code message } }`;
    const data = await api<Record<string, { userErrors: unknown[] } & Record<string, { id: string } | null>>>(`mutation ${defs} { ${name}(${args}) ${selection} }`, vars, 'operator');
    const out = data[name]!;
    expect(out.userErrors).toEqual([]);
    return entity ? out[entity]!.id : null;
  }
  const VAR_TYPES: Record<string, string> = { input: 'RequestProofOfLifeInput!', cpf: 'CPF!', stationId: 'ID!', operatorCpf: 'CPF!', auto: 'Boolean!' };

  /** A station's id (global; the page treats ids as opaque) from its configured code. */
  async function stationId(code: string): Promise<string> {
    const { stations } = await api<{ stations: { id: string; code: string }[] }>('{ stations { id code } }');
    return stations.find((s) => s.code === code)!.id;
  }

  const requestProofOfLife = (reason: string) =>
    mutate('requestProofOfLife', 'input: $input', { input: { cpf: PDV_CPF.authorizes, reason } }, 'transaction') as Promise<string>;
  const loginOperator = async (code: string) =>
    mutate('loginOperator', 'stationId: $stationId, operatorCpf: $operatorCpf', { stationId: await stationId(code), operatorCpf: SPID_CPF.operatorOk }, null);
  const startCapture = async (code: string, auto: boolean) =>
    mutate('startPresentialCapture', 'stationId: $stationId, cpf: $cpf, autoAdvance: $auto', { stationId: await stationId(code), cpf: SPID_CPF.matches, auto }, 'capture') as Promise<string>;

  /** What the API reports for the same rows and counts as the page. */
  async function fromApi(): Promise<Shown> {
    type Edges<T> = { edges: { node: T }[] };
    const d = await api<{
      stations: { id: string; connectivity: string; busy: boolean }[];
      captures: Edges<{ id: string; status: string; isFinal: boolean }>;
      transactions: Edges<{ id: string; status: string }>;
      stats: { transactions: { total: number; byStatus: { status: string; count: number }[] }; captures: { total: number; byStatus: { status: string; count: number }[] } };
    }>(
      `query ($s: [CaptureStatus!]) { stations { id connectivity busy } captures(first: 50, status: $s) { edges { node { id status isFinal } } }
        transactions(first: 15) { edges { node { id status } } }
        stats { transactions { total byStatus { status count } } captures { total byStatus { status count } } } }`,
      { s: IN_FLIGHT },
    );
    const counts: Record<string, string> = {};
    for (const kind of ['transactions', 'captures'] as const) {
      counts[`${kind}.total`] = String(d.stats[kind].total);
      for (const b of d.stats[kind].byStatus) counts[`${kind}.${b.status}`] = String(b.count);
    }
    return {
      stations: d.stations.map((s) => ({ id: s.id, connectivity: s.connectivity, busy: String(s.busy) })),
      captures: d.captures.edges.map((e) => e.node).filter((c) => !c.isFinal).map(({ id, status }) => ({ id, status })),
      feed: d.transactions.edges.map(({ node }) => ({ id: node.id, status: node.status })),
      counts,
    };
  }

  const sortById = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  const normal = (s: Shown) => ({ stations: sortById(s.stations), captures: sortById(s.captures), feed: sortById(s.feed), counts: s.counts });

  /** The page equals the API (rows and counts) at some moment, and never shows a row twice. */
  async function expectPageEqualsApi(): Promise<void> {
    let last: unknown;
    try {
      await eventually(async () => {
        const [p, a] = await Promise.all([shown(page), fromApi()]);
        last = { page: normal(p), api: normal(a) };
        return JSON.stringify(normal(p)) === JSON.stringify(normal(a));
      }, 20_000, 200);
    } catch {
      throw new Error(`dashboard differs from the API: ${JSON.stringify(last)}`);
    }
    const p = await shown(page);
    for (const rows of [p.captures, p.feed, p.stations]) expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  }

  const connState = () => page.locator('[role=status]').getAttribute('data-state');
  /** Every status a row showed, polled until `done` (statuses last ≥ 0.7 s: none is missed at 40 ms). */
  async function statusesOf(selector: string, done: (seen: string[]) => boolean, timeoutMs = 30_000): Promise<string[]> {
    const seen: string[] = [];
    await eventually(async () => {
      const s = (await page.evaluate(`document.querySelector(${JSON.stringify(selector)})?.dataset.status ?? null`)) as string | null;
      if (s && seen.at(-1) !== s) seen.push(s);
      return done(seen);
    }, timeoutMs, 40);
    return seen;
  }

  beforeAll(async () => {
    spid = await SpidSim.start({ stations: 2, timings: TIMINGS });
    pdv = await PdvSim.start({ answerAfterMs: 1500 });
    port = await freeConsecutivePorts(1);
    gw = await startGateway();
    browser = await TestBrowser.launch();
    page = await browser.newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await pdv?.close();
    await spid?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('opens with a dev viewer token, paints fast, and shows a proof of life and a presential capture advance live', async () => {
    const origin = new URL(gw.url).origin;
    // The first load bundles the page from sources: warm it so the timing measures the page, not esbuild.
    expect((await fetch(`${origin}/_ui/dashboard/main.js`)).status).toBe(200);
    const res = await page.goto(`${origin}/dashboard`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await eventually(async () => (await connState()) === 'live', 30_000).catch(async (err: unknown) => {
      throw new Error(`not live: ${await page.locator('header').textContent()} ${browser.errors.join('; ')} (${String(err)})`);
    });
    const timing = (await page.evaluate(`({
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
      dcl: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? -1,
    })`)) as { fcp: number; dcl: number };
    process.stdout.write(`dashboard timing (loopback): first-contentful-paint ${timing.fcp.toFixed(0)} ms, DOMContentLoaded ${timing.dcl.toFixed(0)} ms\n`);
    expect(timing.fcp).toBeGreaterThan(0);
    expect(timing.fcp).toBeLessThan(1000);
    expect(await page.locator('#token').inputValue()).toMatch(/^eyJ/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Operations dashboard');
    expect(await page.locator('main section h2').allTextContents()).toEqual(expect.arrayContaining(['Stations', 'Captures in flight', "Today's counts"]));
    // Stations come online (from the poller's events).
    await eventually(async () => (await shown(page)).stations.filter((s) => s.connectivity === 'ONLINE').length === 2, 20_000);

    const txId = await requestProofOfLife('dashboard live');
    const txStatuses = await statusesOf(`tr[data-transaction-id="${txId}"]`, (s) => s.includes('AUTHORIZED'));
    expect(txStatuses.at(-1)).toBe('AUTHORIZED');
    expect(txStatuses.length).toBeGreaterThanOrEqual(2); // e.g. PENDING then AUTHORIZED, without reload

    await loginOperator('station-1');
    const capId = await startCapture('station-1', true);
    const capStatuses = await statusesOf(`tr[data-capture-id="${capId}"]`, (s) => s.includes('PROCESSING') || s.includes('SENDING'));
    expect(capStatuses.length).toBeGreaterThanOrEqual(3);
    for (const s of capStatuses) expect(IN_FLIGHT).toContain(s);
    // Final: it leaves "in flight" and the counts show it under its final status.
    await page.locator(`tr[data-capture-id="${capId}"]`).waitFor({ state: 'detached', timeout: 20_000 });
    await eventually(async () => (await shown(page)).counts['captures.SEARCH_MATCH'] === '1', 10_000);
    await expectPageEqualsApi();
    // Text contrast (WCAG AA, 4.5:1) with every section filled; status is also written out (text + icon).
    const contrast = (await page.evaluate(MIN_CONTRAST_IN_PAGE)) as { min: number; where: string };
    process.stdout.write(`dashboard lowest text contrast: ${contrast.min.toFixed(2)}:1 (${contrast.where})\n`);
    expect(contrast.min).toBeGreaterThanOrEqual(4.5);
    expect(browser.offLoopback()).toEqual([]);
    expect(browser.errors.filter((e) => /Content Security Policy|Refused to|pageerror/i.test(e))).toEqual([]);
  }, 150_000);

  test('after a socket drop forced server-side: "Reconnecting…", then resumed — the event missed meanwhile included, no duplicate', async () => {
    const before = Number(await page.locator('#root').getAttribute('data-last-seq'));
    for (const ws of gw.gw.server.wsServer.clients) ws.terminate();
    await eventually(async () => (await connState()) === 'reconnecting', 10_000, 10);
    expect(await page.locator('[role=status]').textContent()).toBe('Reconnecting…');
    expect(await page.locator('[role=status]').getAttribute('aria-live')).toBe('polite');
    // Made while the socket is down (or just back): it reaches the page through the resume position.
    const txId = await requestProofOfLife('dashboard drop');
    await eventually(async () => (await connState()) === 'live', 20_000);
    await page.locator(`tr[data-transaction-id="${txId}"][data-status="AUTHORIZED"]`).waitFor({ timeout: 20_000 });
    expect(Number(await page.locator('#root').getAttribute('data-last-seq'))).toBeGreaterThan(before);
    await expectPageEqualsApi();
  }, 90_000);

  test('after a gateway restart (same port and data): resumed without reload; a capture held at a step and new events match the API', async () => {
    await loginOperator('station-2');
    const held = await startCapture('station-2', false);
    await page.locator(`tr[data-capture-id="${held}"]`).waitFor({ timeout: 20_000 });
    await gw.close({ keepData: true });
    await eventually(async () => (await connState()) === 'reconnecting', 10_000, 10);
    gw = await startGateway();
    await eventually(async () => (await connState()) === 'live', 30_000);
    const txId = await requestProofOfLife('dashboard restart');
    await page.locator(`tr[data-transaction-id="${txId}"][data-status="AUTHORIZED"]`).waitFor({ timeout: 20_000 });
    await page.locator(`tr[data-capture-id="${held}"]`).waitFor({ timeout: 20_000 });
    await expectPageEqualsApi();
    // A counts refresh that failed while the gateway was down is cleared once counts load again.
    await eventually(async () => (await page.locator('[role=alert]').isHidden()), 10_000);
    expect(browser.offLoopback()).toEqual([]);
    if (process.env['DASHBOARD_SCREENSHOT'] === '1') {
      await page.screenshot({ path: resolve(__dirname, '../../docs/dashboard.png'), fullPage: true });
    }
  }, 150_000);

  test('the page runs under the CSP (one script, connections to this host only); its controls are reachable by keyboard; a wrong token is reported', async () => {
    const res = await fetch(`${new URL(gw.url).origin}/dashboard`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-security-policy')).toContain(`connect-src 'self' ws://${new URL(gw.url).host}`);
    expect((await res.text()).match(/<script[^>]*>/g)).toEqual(['<script defer src="/_ui/dashboard/main.js">']);
    // Keyboard: the token field and the Connect button are reachable with Tab.
    const p = await browser.newPage();
    await p.goto(`${new URL(gw.url).origin}/dashboard`);
    await p.locator('#token').waitFor();
    await p.keyboard.press('Tab');
    await p.keyboard.press('Tab');
    const focused = await p.evaluate('[document.activeElement?.tagName, document.activeElement?.textContent]');
    expect(focused).toEqual(['BUTTON', 'Connect']);
    // A wrong token typed in the form: the page says why, as an alert, and stays disconnected.
    await p.locator('#token').fill('not-a-token');
    await p.keyboard.press('Enter');
    await p.locator('[role=alert]', { hasText: 'UNAUTHENTICATED' }).waitFor({ timeout: 10_000 });
    expect(await p.locator('[role=status]').getAttribute('data-state')).toBe('idle');
    expect(await p.locator('[role=alert]').textContent()).not.toContain('not-a-token');
    await p.close();
  }, 60_000);
});

describe('dashboard in production', () => {
  const env = (extra: Record<string, string>) => ({
    NODE_ENV: 'production',
    JWT_SECRET: 'dashboard-production-test-secret-0123456789',
    PDV_CLIENT_ID: 'orgao-dashboard-test',
    PDV_CLIENT_SECRET: 'issued-by-govbr-dashboard-test',
    PSEUDONYM_KEY: 'p'.repeat(40),
    REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    REPORT_LINK_KEY: 'l'.repeat(40),
    ...extra,
  });
  let sim: PdvSim;
  beforeAll(async () => {
    sim = await PdvSim.start({ clientId: 'orgao-dashboard-test', clientSecret: 'issued-by-govbr-dashboard-test' });
  });
  afterAll(() => sim?.close());

  test('off by default (the explorer\'s switch); EXPLORER_ENABLED=true serves it without a dev token', async () => {
    const off = await TestGateway.start({ pdvUrl: sim.url, env: env({}) });
    try {
      const origin = new URL(off.url).origin;
      for (const path of ['/dashboard', '/_ui/dashboard/main.js', '/_ui/dashboard/config.json']) expect((await fetch(origin + path)).status).toBe(404);
    } finally {
      await off.close();
    }
    const on = await TestGateway.start({ pdvUrl: sim.url, env: env({ EXPLORER_ENABLED: 'true' }) });
    try {
      const origin = new URL(on.url).origin;
      const page = await fetch(`${origin}/dashboard`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await (await fetch(`${origin}/_ui/dashboard/config.json`)).json()).toEqual({
        devToken: null,
        documents: { DashboardSnapshot: expect.stringMatching(SHA256_ID), DashboardStats: expect.stringMatching(SHA256_ID), DashboardEvents: expect.stringMatching(SHA256_ID) },
      });
    } finally {
      await on.close();
    }
  }, 120_000);
});

const SHA256_ID = /^sha256:[0-9a-f]{64}$/;

describeWithChromium()('dashboard with PERSISTED_DOCUMENTS_ONLY (recommended in production)', () => {
  let pdv: PdvSim;
  let gw: TestGateway;
  let browser: TestBrowser;
  beforeAll(async () => {
    pdv = await PdvSim.start({ answerAfterMs: 1500 });
    gw = await TestGateway.start({ pdvUrl: pdv.url, env: { PERSISTED_DOCUMENTS_ONLY: 'true', EXPLORER_ENABLED: 'true' } });
    browser = await TestBrowser.launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await pdv?.close();
  });

  test('its own documents run by id with no manifest listing them, raw queries stay refused, and a proof of life advances live', async () => {
    const origin = new URL(gw.url).origin;
    // The safelist is on: a raw document from anyone else is refused.
    const raw = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('viewer')}` },
      body: JSON.stringify({ query: '{ stats { transactions { total } } }' }),
    });
    expect(((await raw.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('PERSISTED_DOCUMENT_REQUIRED');

    const p = await browser.newPage();
    await p.goto(`${origin}/dashboard`);
    await eventually(async () => (await p.locator('[role=status]').getAttribute('data-state')) === 'live', 30_000).catch(async (err: unknown) => {
      throw new Error(`not live: ${await p.locator('header').textContent()} ${browser.errors.join('; ')} (${String(err)})`);
    });
    expect(await p.locator('[role=alert]').isHidden()).toBe(true);
    const tx = await gw.ok(RequestProofOfLifeDocument, { input: { cpf: PDV_CPF.authorizes, reason: 'dashboard persisted only' } });
    const id = tx.requestProofOfLife!.transaction!.id;
    // Over the socket (the subscription by id) and HTTP (the counts by id): the row reaches AUTHORIZED, counted.
    await p.locator(`tr[data-transaction-id="${id}"][data-status="AUTHORIZED"]`).waitFor({ timeout: 30_000 });
    await eventually(async () => (await shown(p)).counts['transactions.AUTHORIZED'] === '1', 10_000);
    expect(browser.offLoopback()).toEqual([]);
    await p.close();
  }, 90_000);
});

