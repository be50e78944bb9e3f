/**
 * Capability links and reports: `Capture.remoteUrl` (whoever holds it can
 * submit a citizen's capture) and `GET /reports/:id` (a biometric result about
 * a named citizen) only for admins and operators allowed on the capture's
 * station; every report download audited. Real HTTP and WebSocket against a
 * gateway and the SPID simulator on loopback.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { CaptureDocument, CaptureStatusChangedDocument, LoginOperatorDocument, StartPresentialCaptureDocument, StartRemoteVerifyDocument } from '../__generated__/graphql';
import { SPID_MAGIC_CPFS as CPF } from '../../src/simulators/spid';
import { ReportLinks } from '../../src/server/reports';
import { Collector, PdvSim, SpidSim, TestGateway, eventually, type GraphQLResponse } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
let remoteId: string;
let remoteUrl: string;
let reportId: string;
/** A browser app allowed by CORS_ORIGINS. */
const APP_ORIGIN = 'https://painel.example.gov.br';

async function as<R, V>(token: string, doc: TypedDocumentNode<R, V>, variables: V): Promise<GraphQLResponse<R>> {
  const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: print(doc), variables }) });
  return (await res.json()) as GraphQLResponse<R>;
}

beforeAll(async () => {
  pdv = await PdvSim.start();
  spid = await SpidSim.start({ timings: { clientCaptureMs: 100, operatorCaptureMs: 100, verifyProcessingMs: 100, loginSettleMs: 10, remoteLinkTtlMs: 600_000 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, env: { CORS_ORIGINS: APP_ORIGIN } });
  await gw.ok(LoginOperatorDocument, { stationId: 'station-1', operatorCpf: CPF.operatorOk });
  await gw.ok(LoginOperatorDocument, { stationId: 'station-2', operatorCpf: CPF.operatorOk });
  // A remote verify whose link the citizen never uses: it waits with its link for the whole test.
  remoteId = (await gw.done(StartRemoteVerifyDocument, { stationId: 'station-2', cpf: CPF.linkNeverUsed })).startRemoteVerify.id;
  remoteUrl = await eventually(async () => (await gw.ok(CaptureDocument, { id: remoteId }, 'admin')).capture?.remoteUrl, 20_000, 100);
  // A presential verify that ends with a report.
  reportId = (await gw.done(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: CPF.noMatch })).startPresentialCapture.id;
  await eventually(async () => (await gw.ok(CaptureDocument, { id: reportId }, 'admin')).capture?.report != null, 20_000, 100);
}, 180_000);
afterAll(async () => {
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

describe('Capture.remoteUrl', () => {
  test('admin, an operator without a station claim, and an operator of the station see the link', async () => {
    expect(remoteUrl).toBe(`${spid.sim.remoteServiceUrl}/r/${(await gw.ok(CaptureDocument, { id: remoteId }, 'admin')).capture?.tguid}`);
    for (const token of [await gw.token('admin'), await gw.token('operator'), await gw.token('operator', 'desk-2', ['station-2'])]) {
      const r = await as(token, CaptureDocument, { id: remoteId });
      expect(r.errors).toBeUndefined();
      expect(r.data?.capture).toMatchObject({ id: remoteId, status: 'WAITING_CLIENT', remoteUrl });
    }
  });

  test('a viewer and an operator of another station read null (the rest of the capture is unchanged)', async () => {
    for (const token of [await gw.token('viewer'), await gw.token('operator', 'desk-1', ['station-1'])]) {
      const r = await as(token, CaptureDocument, { id: remoteId });
      expect(r.errors).toBeUndefined();
      expect(r.data?.capture).toMatchObject({ id: remoteId, status: 'WAITING_CLIENT', mode: 'REMOTE', remoteUrl: null });
    }
  });

  test('a viewer replaying the capture over WebSocket never gets the link', async () => {
    const ws = createClient({ url: gw.gw.server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await gw.token('viewer')}` }, retryAttempts: 0 });
    try {
      const sub = Collector.subscribe(ws, CaptureStatusChangedDocument, { captureId: remoteId, afterSeq: 0 });
      await sub.waitFor((e) => e.captureStatusChanged.status === 'WAITING_CLIENT');
      sub.stop();
      expect(sub.items.length).toBeGreaterThanOrEqual(2);
      expect(sub.items.map((e) => e.captureStatusChanged.capture.remoteUrl)).toEqual(sub.items.map(() => null));
    } finally {
      await ws.dispose();
    }
  });
});

describe('GET /reports/:captureId', () => {
  const get = async (token: string | null, id = rawKey(reportId)) => {
    const res = await fetch(`${new URL(gw.url).origin}/reports/${id}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, type: res.headers.get('content-type'), buf };
  };
  const json = (b: Buffer) => JSON.parse(b.toString('utf8')) as { error: string; code: string };
  const audits = async (actor: string) => (await gw.gw.store.listAudit({ actor, action: 'downloadReport' }, 10, null)).items;

  test('operator of the station and admin download the PDF; each download is audited', async () => {
    for (const [sub, token] of [
      ['rep-desk1', await gw.token('operator', 'rep-desk1', ['station-1'])],
      ['rep-admin', await gw.token('admin', 'rep-admin')],
    ] as const) {
      const r = await get(token);
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^application\/pdf/);
      expect(r.buf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(await audits(sub)).toEqual([expect.objectContaining({ action: 'downloadReport', target: `Capture:${rawKey(reportId)}`, result: 'OK' })]);
    }
  });

  test('viewer → 403 FORBIDDEN, audited', async () => {
    const r = await get(await gw.token('viewer', 'rep-viewer'));
    expect(r.status).toBe(403);
    expect(json(r.buf)).toEqual({ error: 'Reports need the role operator or admin', code: 'FORBIDDEN' });
    expect(await audits('rep-viewer')).toEqual([expect.objectContaining({ role: 'viewer', target: `Capture:${rawKey(reportId)}`, result: 'FORBIDDEN' })]);
  });

  test('operator of another station → 403 FORBIDDEN, audited', async () => {
    const r = await get(await gw.token('operator', 'rep-desk3', ['station-3']));
    expect(r.status).toBe(403);
    expect(json(r.buf)).toEqual({ error: 'Your token does not allow station "station-1"', code: 'FORBIDDEN' });
    expect(await audits('rep-desk3')).toEqual([expect.objectContaining({ target: `Capture:${rawKey(reportId)}`, result: 'FORBIDDEN' })]);
  });

  test('no token → 401, audited without an actor; unknown capture → 404 NOT_FOUND, audited', async () => {
    const before = (await gw.gw.store.listAudit({ action: 'downloadReport' }, 100, null)).items.length;
    const anon = await get(null);
    expect(anon.status).toBe(401);
    expect(json(anon.buf).code).toBe('UNAUTHENTICATED');
    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await get(await gw.token('admin', 'rep-missing'), unknown);
    expect(missing.status).toBe(404);
    expect(json(missing.buf)).toEqual({ error: 'No report for this capture (yet)', code: 'NOT_FOUND' });
    const rows = (await gw.gw.store.listAudit({ action: 'downloadReport' }, 100, null)).items;
    expect(rows.length - before).toBe(2);
    expect(rows.slice(0, 2)).toEqual([
      expect.objectContaining({ actor: 'rep-missing', target: `Capture:${unknown}`, result: 'NOT_FOUND' }),
      expect.objectContaining({ actor: null, target: `Capture:${rawKey(reportId)}`, result: 'UNAUTHENTICATED' }),
    ]);
  });
});

describe('signed report links (CaptureReport.downloadUrl)', () => {
  const linkFor = async (token: string) => (await as(token, CaptureDocument, { id: reportId })).data?.capture?.report?.downloadUrl;
  const audits = async (actor: string) => (await gw.gw.store.listAudit({ actor, action: 'downloadReport' }, 10, null)).items;
  const origin = () => new URL(gw.url).origin;

  test('an operator of the station gets an absolute link that downloads the PDF without any header; audited as that operator', async () => {
    const url = await linkFor(await gw.token('operator', 'link-desk1', ['station-1']));
    expect(url).toMatch(new RegExp(`^${origin()}/reports/${rawKey(reportId)}\\?expires=\\d+&by=[\\w-]+&sig=[\\w-]+$`));
    // The actor is in the link, but not readable: a `sub` may be a CPF.
    expect(url).not.toContain('link-desk1');
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/pdf/);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(await audits('link-desk1')).toEqual([expect.objectContaining({ role: 'operator', target: `Capture:${rawKey(reportId)}`, result: 'OK' })]);
  });

  test('viewers and operators of another station get no link (null); the rest of the report is there', async () => {
    for (const token of [await gw.token('viewer'), await gw.token('operator', 'link-desk3', ['station-3'])]) {
      const r = await as(token, CaptureDocument, { id: reportId });
      expect(r.errors).toBeUndefined();
      expect(r.data?.capture?.report).toMatchObject({ size: expect.any(Number), downloadUrl: null });
    }
  });

  test('past its expiry a genuinely signed link is refused with 401, audited with the actor it was minted for', async () => {
    const links = new ReportLinks(gw.config.reports);
    const user = { sub: 'link-expired', role: 'admin' as const, exp: null, stations: null };
    const expired = links.urlFor(user, rawKey(reportId), 'station-1', origin(), Date.now() - (gw.config.reports.linkTtlSeconds + 1) * 1000)!;
    const res = await fetch(expired);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    expect(await audits('link-expired')).toEqual([expect.objectContaining({ role: 'admin', result: 'UNAUTHENTICATED' })]);
    // The same link minted now works: only the expiry differed.
    expect((await fetch(links.urlFor(user, rawKey(reportId), 'station-1', origin())!)).status).toBe(200);
  });

  test('a link does not open another capture, and a tampered signature or expiry is refused (403)', async () => {
    const url = new URL((await linkFor(await gw.token('admin', 'link-admin')))!);
    const other = new URL(url);
    other.pathname = `/reports/${rawKey(remoteId)}`;
    const tamperedSig = new URL(url);
    const sig = url.searchParams.get('sig')!;
    tamperedSig.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    for (const u of [other, tamperedSig, later]) {
      const res = await fetch(u);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'This download link is not valid for this report', code: 'FORBIDDEN' });
    }
    expect((await fetch(url)).status).toBe(200);
  });

  test('from a browser origin in CORS_ORIGINS the download carries Access-Control-Allow-Origin; another origin gets none', async () => {
    const url = (await linkFor(await gw.token('admin', 'link-cors')))!;
    const allowed = await fetch(url, { headers: { origin: APP_ORIGIN } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    await allowed.arrayBuffer();
    const preflight = await fetch(`${origin()}/reports/${rawKey(reportId)}`, {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    const other = await fetch(url, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await other.arrayBuffer();
  });
});
