/**
 * Mutation payloads as a frontend sees them: several aliased mutations in one
 * document fail independently. An expected business outcome (a busy station)
 * is a typed userError in that alias's payload; an authorization refusal is a
 * top-level error that nulls only its own alias.
 */
import { SPID_MAGIC_CPFS as CPF } from '../../src/simulators/spid';
import { auditLog } from '../../src/store/schema';
import { desc } from 'drizzle-orm';
import { PdvSim, SpidSim, TestGateway } from '../helpers/gateway';
import { toGlobalId } from '../../resolvers/global-id';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;

beforeAll(async () => {
  pdv = await PdvSim.start();
  // Slow desk steps: the first capture still holds the station when the second alias runs.
  spid = await SpidSim.start({ timings: { clientCaptureMs: 2_000, operatorCaptureMs: 2_000, verifyProcessingMs: 100, loginSettleMs: 10 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv });
});

afterAll(async () => {
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

type Body = { data?: Record<string, Record<string, unknown> | null> | null; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] };

async function post(query: string, variables: Record<string, unknown>, token: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: (await res.json()) as Body };
}

const UE = 'userErrors { code field message }';

test('loginOperator + two aliased startPresentialCapture on one station: login and first capture answered, the second a STATION_BUSY userError, no top-level error', async () => {
  const query = `mutation($station: ID!, $operator: CPF!, $a: CPF!, $b: CPF!) {
    login: loginOperator(stationId: $station, operatorCpf: $operator) { station { code loginStatus } status loggedIn ${UE} }
    first: startPresentialCapture(stationId: $station, cpf: $a, autoAdvance: false) { capture { id status stationId } ${UE} }
    second: startPresentialCapture(stationId: $station, cpf: $b) { capture { id } ${UE} }
  }`;
  const token = await gw.token('operator', 'alias-operator');
  const r = await post(query, { station: 'station-1', operator: CPF.operatorOk, a: CPF.matches, b: CPF.noMatch }, token);

  expect(r.status).toBe(200);
  expect(r.body.errors).toBeUndefined();
  // loginOperator returns the Station, read after the login: a cached Station is refreshed.
  expect(r.body.data?.['login']).toEqual({ station: { code: 'station-1', loginStatus: 'OPERATOR_OK' }, status: 'OPERATOR_OK', loggedIn: true, userErrors: [] });
  const first = r.body.data?.['first'] as { capture: { id: string; status: string; stationId: string }; userErrors: unknown[] };
  expect(first).toEqual({ capture: { id: expect.any(String), status: 'CLIENT_CAPTURING', stationId: toGlobalId('Station', 'station-1') }, userErrors: [] });
  const second = r.body.data?.['second'] as { capture: null; userErrors: { code: string; field: string[] | null; message: string }[] };
  expect(second.capture).toBeNull();
  // The message comes from the flow layer (no GraphQL there): it names the holding capture by its raw key.
  expect(second.userErrors).toEqual([{ code: 'STATION_BUSY', field: null, message: expect.stringContaining(first.capture.id) }]);

  // Each alias is one audit record; the userError is audited with its code, as a thrown error was.
  const rows = await gw.gw.store.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(3);
  expect(rows.reverse().map((x) => [x.action, x.result])).toEqual([
    ['loginOperator', 'OK'],
    ['startPresentialCapture', 'OK'],
    ['startPresentialCapture', 'STATION_BUSY'],
  ]);
});

test('one alias FORBIDDEN (a station outside the token): that alias null with a top-level error, the others answered', async () => {
  const query = `mutation($mine: ID!, $other: ID!, $operator: CPF!, $c: CPF!) {
    login: loginOperator(stationId: $mine, operatorCpf: $operator) { station { code } loggedIn ${UE} }
    denied: startPresentialCapture(stationId: $other, cpf: $c) { capture { id } ${UE} }
    started: startPresentialCapture(stationId: $mine, cpf: $c, autoAdvance: false) { capture { id stationId } ${UE} }
  }`;
  const token = await gw.token('operator', 'alias-desk-2', ['station-2']);
  const r = await post(query, { mine: 'station-2', other: 'station-1', operator: CPF.operatorOk, c: CPF.matches }, token);

  expect(r.status).toBe(200);
  expect(r.body.errors).toEqual([expect.objectContaining({ path: ['denied'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
  expect(r.body.data).toEqual({
    login: { station: { code: 'station-2' }, loggedIn: true, userErrors: [] },
    denied: null,
    started: { capture: { id: expect.any(String), stationId: toGlobalId('Station', 'station-2') }, userErrors: [] },
  });
});
