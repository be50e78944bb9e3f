/**
 * Safe defaults, checked on the real entry point (`src/main.ts`, what
 * `npm start` runs) as its own process: unsafe production and non-loopback
 * development configs refuse to boot (exit 2, a message naming the variable);
 * an unconfigured start binds loopback and says which mode it is in and why.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEV_JWT_SECRET } from '../../src/config';

const ROOT = resolve(__dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
const STATIONS = JSON.stringify([{ id: 'desk-1', name: 'Desk 1', baseUrl: 'http://127.0.0.1:9/gbs-spid-services/api' }]);

/**
 * Starts the gateway with exactly `env` (plus PATH/HOME: no NODE_ENV inherited
 * from jest). Resolves when it exits, or — with `untilReady` — once it logged
 * "gateway ready" (then it is stopped with SIGTERM).
 */
function run(env: Record<string, string>, untilReady = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(TSX, ['src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit in time:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (untilReady && stdout.includes('"msg":"gateway ready"')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const PROD = {
  NODE_ENV: 'production',
  PORT: '0',
  JWT_SECRET: 'p'.repeat(40),
  PDV_BASE_URL: 'http://127.0.0.1:9',
  PDV_CLIENT_ID: 'orgao-123',
  PDV_CLIENT_SECRET: 'issued-by-govbr',
  SPID_STATIONS: STATIONS,
  PSEUDONYM_KEY: 'k'.repeat(40),
  REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
  REPORT_LINK_KEY: 'l'.repeat(40),
};

test('production without JWT_SECRET refuses to boot: exit 2, names the variable', async () => {
  const { JWT_SECRET: _omit, ...env } = PROD;
  const r = await run(env);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('Invalid configuration:\n  JWT_SECRET: required in production (or JWT_JWKS_URL), and not the public dev secret\n');
});

test('production with the public dev secret refuses to boot', async () => {
  const r = await run({ ...PROD, JWT_SECRET: DEV_JWT_SECRET });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('JWT_SECRET: required in production (or JWT_JWKS_URL), and not the public dev secret');
});

test("production with the Prova de Vida simulator's credentials refuses to boot", async () => {
  const r = await run({ ...PROD, PDV_CLIENT_ID: 'gateway-dev', PDV_CLIENT_SECRET: 'gateway-dev-secret' });
  expect(r.code).toBe(2);
  expect(r.stderr).toBe("Invalid configuration:\n  PDV_CLIENT_ID/PDV_CLIENT_SECRET: the simulator's credentials are refused in production; set the ones gov.br issued\n");
});

test('development on a non-loopback HOST with the dev secret refuses to boot', async () => {
  const r = await run({ HOST: '0.0.0.0', PORT: '0', SIMULATORS: 'false', PDV_BASE_URL: 'http://127.0.0.1:9', SPID_STATIONS: STATIONS });
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(
    'Invalid configuration:\n  JWT_SECRET: the public dev secret (and dev tokens) are refused on a non-loopback HOST (0.0.0.0); set JWT_SECRET or JWT_JWKS_URL, or bind 127.0.0.1\n',
  );
});

test('NODE_ENV and HOST unset: development on loopback, and the boot log says so', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-boot-'));
  try {
    const r = await run({ PORT: '0', DATA_DIR: dataDir, SIMULATORS: 'false', PDV_BASE_URL: 'http://127.0.0.1:9', SPID_STATIONS: STATIONS }, true);
    expect(r.code).not.toBe(2); // booted (then stopped with SIGTERM), not refused
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('mode:'))).toMatchObject({
      msg: 'mode: development (NODE_ENV unset), bound to loopback (HOST unset)',
      mode: 'development',
      host: '127.0.0.1',
      devTokens: true,
    });
    expect(r.stdout).toMatch(/GraphQL \(HTTP \+ WebSocket\): {2}http:\/\/127\.0\.0\.1:\d+\/graphql/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
