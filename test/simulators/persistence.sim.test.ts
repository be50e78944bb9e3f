/**
 * The simulators with a state dir: what the upstream acknowledged survives a
 * restart (transactions, tokens, the citizen's pending answer at its original
 * time; a station's operator and capture with its scheduled step), and a
 * second simulator on the same dir is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDV_MAGIC_CPFS, startProvaDeVidaSimulator } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS, SPID_API_PREFIX, startSpidSimulator } from '../../src/simulators/spid';
import { caught } from '../helpers/assert';
import { tempDirs } from '../helpers/tmp';
import { eventually } from '../helpers/gateway';

const newDir = tempDirs('sim-state-');

const basic = Buffer.from('gateway-dev:gateway-dev-secret').toString('base64');

test('Prova de Vida: a transaction and its token survive a restart; the citizen answers at the original time; one simulator per dir', async () => {
  const stateDir = newDir();
  const a = await startProvaDeVidaSimulator({ answerAfterMs: 1500, stateDir });
  const tok = (await (await fetch(`${a.url}/auth/oauth/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: `Basic ${basic}` } })).json()) as {
    access_token: string;
  };
  const auth = { authorization: `Bearer ${tok.access_token}` };
  const created = await fetch(`${a.url}/api/vbeta4/transacoes`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      solicitante: { cnpj: '33.683.111/0001-07', nome: 'SGD', servico: 'AppGovBr' },
      cpf: PDV_MAGIC_CPFS.authorizes,
      motivo: 'persistence',
      tipo: 'B',
      categoria: 'PV',
      expiracao_em: '120',
      selogovbr_reuso_em: '60',
    }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const createdAt = Date.now();
  // Acknowledged = on disk: the file has it before the 201 was sent.
  expect(readFileSync(join(stateDir, 'prova-de-vida.json'), 'utf8')).toContain(id);

  const refused = await caught(startProvaDeVidaSimulator({ stateDir }));
  expect(refused.message).toMatch(new RegExp(`simulator state dir \\S+ is in use by prova-de-vida simulator pid ${process.pid} on host `));

  await a.close();
  const b = await startProvaDeVidaSimulator({ answerAfterMs: 600_000, stateDir });
  try {
    const read = async () => (await (await fetch(`${b.url}/api/vbeta4/transacoes/${id}`, { headers: auth })).json()) as { id: string; resposta?: { autorizado: boolean } };
    expect(await read()).toMatchObject({ id });
    const answered = await eventually(async () => ((await read()).resposta ? Date.now() : null), 10_000, 50);
    // The saved due time (1.5 s after creation), not the new process's 600 s.
    expect(answered - createdAt).toBeLessThan(5000);
    expect((await read()).resposta).toMatchObject({ autorizado: true });
  } finally {
    await b.close();
  }
});

test('SPID: the logged operator and the capture at the desk survive a restart, and the scheduled step still runs', async () => {
  const stateDir = newDir();
  const timings = { loginSettleMs: 0, clientCaptureMs: 1500 };
  const a = await startSpidSimulator({ stations: 1, timings, stateDir });
  const base = (s: typeof a) => s.stations[0]!.baseUrl;
  expect((await fetch(`${base(a)}/login/${SPID_MAGIC_CPFS.operatorOk}`)).status).toBe(200);
  expect(await (await fetch(`${base(a)}/verify/${SPID_MAGIC_CPFS.matches}`)).json()).toEqual({ status: 'CLIENT_CAPTURING' });
  await a.close();

  const b = await startSpidSimulator({ stations: 1, timings: { clientCaptureMs: 600_000 }, stateDir });
  try {
    expect(base(b)).toContain(SPID_API_PREFIX);
    expect(await (await fetch(`${base(b)}/login/status`)).json()).toEqual({ status: 'OPERATOR_OK', operatorId: SPID_MAGIC_CPFS.operatorOk });
    const status = async () => ((await (await fetch(`${base(b)}/capture/status`)).json()) as { status: string }).status;
    // Done on the step's saved due time, not the new process's 600 s.
    await eventually(async () => (await status()) === 'CLIENT_CAPTURE_DONE', 10_000, 50);
  } finally {
    await b.close();
  }
});
