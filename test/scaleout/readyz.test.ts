/**
 * /readyz follows Redis: a gateway in scale-out mode against a private
 * redis-server (its own port, so the shared one is never touched) reports 503
 * when that Redis dies, while /healthz stays 200 (liveness only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import Redis from 'ioredis';
import { PdvSim, TestGateway, eventually } from '../helpers/gateway';
import { requireRedisSync } from '../helpers/services';

const d = requireRedisSync() ? describe : describe.skip;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

d('readiness', () => {
  let redis: ChildProcess;
  let pdv: PdvSim;
  let gw: TestGateway;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = startRedis(port);
    await eventually(async () => {
      const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        c.disconnect();
      }
    }, 10_000, 100);
    pdv = await PdvSim.start();
    gw = await TestGateway.start({ pdvUrl: pdv.url, env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: 'readyz' } });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    redis?.kill('SIGKILL');
    await pdv?.close();
  }, 30_000);

  test('ready with Redis up, 503 naming redis and queue once it is gone; healthz stays 200', async () => {
    const origin = gw.url.replace(/\/graphql$/, '');
    const up = await fetch(`${origin}/readyz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ready', checks: { store: true, redis: true, queue: true } });
    redis.kill('SIGKILL');
    const down = await eventually(async () => {
      const r = await fetch(`${origin}/readyz`);
      return r.status === 503 ? ((await r.json()) as { checks: Record<string, boolean> }) : null;
    }, 15_000, 200);
    expect(down.checks).toMatchObject({ store: true, redis: false, queue: false });
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    // Redis back on the same port: the clients reconnect and the instance is ready again
    // (and shuts down cleanly afterwards, instead of retrying a dead server forever).
    redis = startRedis(port);
    await eventually(async () => (await fetch(`${origin}/readyz`)).status === 200, 20_000, 200);
  }, 60_000);
});
