/**
 * Operators restricted to their own stations by a token claim, and the CORS
 * allowlist.
 */
import { print } from 'graphql';
import { LoginOperatorDocument, StartPresentialCaptureDocument, StartOperatorCaptureDocument } from '../__generated__/graphql';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { PdvSim, SpidSim, TestGateway } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
const ALLOWED = 'https://console.example.gov.br';

beforeAll(async () => {
  pdv = await PdvSim.start();
  spid = await SpidSim.start({ timings: { clientCaptureMs: 60_000, loginSettleMs: 10 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, env: { CORS_ORIGINS: `${ALLOWED},https://dash.example.gov.br` } });
  for (const s of ['station-1', 'station-2']) await gw.ok(LoginOperatorDocument, { stationId: s, operatorCpf: SPID_MAGIC_CPFS.operatorOk }, 'admin');
});
afterAll(async () => {
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

async function asDeskOperator<V>(query: string, variables: V) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('operator', 'desk-1-operator', ['station-1'])}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Record<string, { id: string }> | null; errors?: { extensions?: Record<string, unknown> }[] };
}

describe('station claim', () => {
  test('an operator limited to station-1 may start there, not at station-2, and the station hears nothing', async () => {
    const ok = await asDeskOperator(print(StartPresentialCaptureDocument), { stationId: 'station-1', cpf: SPID_MAGIC_CPFS.matches });
    expect(ok.errors).toBeUndefined();
    // Every call but the station poller's background Login Status reads.
    const calls = async () => {
      const s = (await spid.counters()).byStation['station-2'];
      return (s?.total ?? 0) - (s?.byRoute['GET /login/status'] ?? 0);
    };
    const before = await calls();
    const no = await asDeskOperator(print(StartPresentialCaptureDocument), { stationId: 'station-2', cpf: SPID_MAGIC_CPFS.matches });
    expect(no.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', stationId: 'station-2' });
    expect(await calls()).toBe(before);
  });

  test('steps on a capture of another station are refused too (the capture names its station)', async () => {
    const other = await gw.done(StartPresentialCaptureDocument, { stationId: 'station-2', cpf: SPID_MAGIC_CPFS.matches, autoAdvance: false }, 'admin');
    const r = await asDeskOperator(print(StartOperatorCaptureDocument), { captureId: other.startPresentialCapture.id });
    expect(r.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(gw.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });

  test('an allowed origin gets the CORS headers', async () => {
    const r = await preflight(ALLOWED);
    expect(r.status).toBeLessThan(300);
    expect(r.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  test('any other origin gets none, so the browser blocks it', async () => {
    const r = await preflight('https://evil.example.com');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});
