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
import { Collector, PdvSim, SpidSim, TestGateway, eventually, type GraphQLResponse } from '../helpers/gateway';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
let remoteId: string;
let remoteUrl: string;
let reportId: string;

async function as<R, V>(token: string, doc: TypedDocumentNode<R, V>, variables: V): Promise<GraphQLResponse<R>> {
  const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: print(doc), variables }) });
  return (await res.json()) as GraphQLResponse<R>;
}

beforeAll(async () => {
  pdv = await PdvSim.start();
  spid = await SpidSim.start({ timings: { clientCaptureMs: 100, operatorCaptureMs: 100, verifyProcessingMs: 100, loginSettleMs: 10, remoteLinkTtlMs: 600_000 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv });
  await gw.ok(LoginOperatorDocument, { stationId: 'station-1', operatorCpf: CPF.operatorOk });
  await gw.ok(LoginOperatorDocument, { stationId: 'station-2', operatorCpf: CPF.operatorOk });
  // A remote verify whose link the citizen never uses: it waits with its link for the whole test.
  remoteId = (await gw.done(StartRemoteVerifyDocument, { stationId: 'station-2', cpf: CPF.linkNeverUsed })).startRemoteVerify.id;
  remoteUrl = await eventually(async () => (await gw.ok(CaptureDocument, { id: remoteId }, 'admin')).capture?.remoteUrl, 20_000, 100);
  // A presential verify that ends with a report.
  reportId = (await gw.done(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: CPF.noMatch })).startPresentialCapture.id;
  await eventually(async () => (await gw.ok(CaptureDocument, { id: reportId }, 'admin')).capture?.report != null, 20_000, 100);
}, 60_000);
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
  const get = async (token: string | null, id = reportId) => {
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
      expect(await audits(sub)).toEqual([expect.objectContaining({ action: 'downloadReport', target: `Capture:${reportId}`, result: 'OK' })]);
    }
  });

  test('viewer → 403 FORBIDDEN, audited', async () => {
    const r = await get(await gw.token('viewer', 'rep-viewer'));
    expect(r.status).toBe(403);
    expect(json(r.buf)).toEqual({ error: 'Reports need the role operator or admin', code: 'FORBIDDEN' });
    expect(await audits('rep-viewer')).toEqual([expect.objectContaining({ role: 'viewer', target: `Capture:${reportId}`, result: 'FORBIDDEN' })]);
  });

  test('operator of another station → 403 FORBIDDEN, audited', async () => {
    const r = await get(await gw.token('operator', 'rep-desk3', ['station-3']));
    expect(r.status).toBe(403);
    expect(json(r.buf)).toEqual({ error: 'Your token does not allow station "station-1"', code: 'FORBIDDEN' });
    expect(await audits('rep-desk3')).toEqual([expect.objectContaining({ target: `Capture:${reportId}`, result: 'FORBIDDEN' })]);
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
      expect.objectContaining({ actor: null, target: `Capture:${reportId}`, result: 'UNAUTHENTICATED' }),
    ]);
  });
});
