/**
 * The SPID adapter's table (`src/upstreams/spid/README.md`) is the one place
 * that says what each station call is. This checks that the client's paths,
 * the simulator's routes and the table agree, and that no code outside
 * `src/upstreams/spid/` (and the simulator, which plays the station) names a
 * station path or wire field: pointing the gateway at a real station must
 * only touch the adapter.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startSpidSimulator, type SpidSimulator } from '../../src/simulators/spid';
import { paths } from '../../src/upstreams/spid/wire';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'src', 'upstreams', 'spid', 'README.md'), 'utf8');

interface Row {
  operation: string;
  method: string;
  path: string;
  source: string;
}

/** Rows of the "## Operations" table: `| operation | method | path | … | source |`. */
function operations(): Row[] {
  const section = README.split('## Operations')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((l) => /^\| [A-Z]/.test(l) && !l.startsWith('| operation'))
    .map((l) => l.split('|').map((c) => c.trim()))
    .map((c) => ({ operation: c[1]!, method: c[2]!, path: c[3]!.replace(/`/g, ''), source: c.at(-2)! }));
}

const CPF = '52998224725';
const TGUID = 'tguid-1';
const fill = (template: string) => template.replace('{cpf}', CPF).replace('{tguid}', TGUID);

test('the table lists every call of the client, each with its source', () => {
  const rows = operations();
  expect(rows).toHaveLength(13);
  const fromClient = [
    paths.login(CPF),
    paths.loginStatus,
    paths.verify(CPF),
    paths.enroll,
    paths.captureStatus,
    paths.operatorCapture,
    paths.send,
    paths.result(TGUID),
    paths.report(TGUID),
    paths.resend,
    paths.remoteVerify,
    paths.remoteEnroll,
    paths.remoteResult(TGUID),
  ];
  expect(rows.map((r) => fill(r.path)).sort()).toEqual([...fromClient].sort());
  for (const r of rows) expect(r.source).toMatch(/vendor manual|seed|assumed — confirm with the vendor/);
});

describe('the simulator follows the table', () => {
  let sim: SpidSimulator;
  beforeAll(async () => {
    sim = await startSpidSimulator({ stations: 1, timings: { loginSettleMs: 0 } });
  });
  afterAll(() => sim.close());

  test.each(operations().map((r) => [r.operation, r] as const))('%s: the route exists', async (_op, r) => {
    const res = await fetch(sim.stations[0]!.baseUrl + fill(r.path), {
      method: r.method,
      ...(r.method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cpf: CPF }) } : {}),
    });
    const body = (await res.json().catch(() => ({}))) as { errors?: { code?: string }[] };
    // Any answer but "no such route": state errors (no operator, unknown tguid) are fine here.
    expect(body.errors?.[0]?.code).not.toBe('ROUTE_NOT_FOUND');
  });
});

test('no code outside src/upstreams/spid/ (and the simulator) names a station path or wire field', () => {
  const statics = [...new Set(operations().map((r) => r.path.split('{')[0]!))];
  const needles = [...statics, 'operatorId'];
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(join(ROOT, 'src'));
  walk(join(ROOT, 'resolvers'));
  const outside = files.filter((f) => {
    const rel = relative(ROOT, f);
    return !rel.startsWith(join('src', 'upstreams', 'spid')) && !rel.startsWith(join('src', 'simulators'));
  });
  const hits: string[] = [];
  for (const f of outside) {
    const text = readFileSync(f, 'utf8');
    for (const n of needles) if (text.includes(`'${n}`) || text.includes(`\`${n}`) || text.includes(`"${n}`)) hits.push(`${relative(ROOT, f)}: ${n}`);
  }
  expect(hits).toEqual([]);
});
