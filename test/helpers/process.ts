import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');

/**
 * A gateway as its own OS process (`src/main.ts`, exactly what `npm start`
 * runs), for the scale-out tests: real processes share PostgreSQL and Redis,
 * and can be killed with SIGKILL.
 */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** `Date.now()` when the exit was seen. */
  at: number;
}

export interface StartOptions {
  /**
   * Run `node --import tsx src/main.ts`, so the child IS the gateway: a signal
   * (SIGKILL above all) reaches it directly. Through the tsx CLI the gateway is
   * tsx's child, and a SIGKILL to tsx leaves it running — so a "killed"
   * instance would go on renewing its locks and polling.
   * @default true
   */
  direct?: boolean;
  /** The whole command instead (the build test and benches: `[process.execPath, 'dist/src/main.js']`). @default unset */
  command?: readonly string[];
}

function spawnGateway(env: Record<string, string>, opts: StartOptions): ChildProcess {
  const [cmd, ...args] = opts.command ?? ((opts.direct ?? true) ? [process.execPath, '--import', 'tsx', 'src/main.ts'] : [TSX, 'src/main.ts']);
  if (!cmd) throw new Error('empty command');
  return spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', SIMULATORS: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a SIGKILL reaches everything it started (see `signal`).
    detached: true,
  });
}

export class GatewayProcess {
  private output = '';
  /** Resolves when the process has exited (code or signal, and when). */
  readonly exited: Promise<ProcessExit>;
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r({ code: child.exitCode, signal: child.signalCode, at: Date.now() });
      else child.once('exit', (code, signal) => r({ code, signal, at: Date.now() }));
    });
  }

  /** A gateway expected NOT to start: resolves with its exit and everything it printed. */
  static run(env: Record<string, string>, timeoutMs = 60_000, opts: StartOptions = {}): Promise<ProcessExit & { output: string }> {
    const child = spawnGateway(env, opts);
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`gateway still running after ${timeoutMs} ms:\n${output.slice(-3000)}`));
      }, timeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolvePromise({ code, signal, at: Date.now(), output });
      });
    });
  }

  static start(env: Record<string, string>, timeoutMs = 60_000, opts: StartOptions = {}): Promise<GatewayProcess> {
    const child = spawnGateway(env, opts);
    let out = '';
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        reject(new Error(`gateway did not start in ${timeoutMs} ms:\n${out.slice(-3000)}`));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        for (const line of out.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const j = JSON.parse(line) as { msg?: string; port?: number };
            if (j.msg === 'gateway ready' && typeof j.port === 'number') {
              clearTimeout(timer);
              const gp = new GatewayProcess(child, j.port);
              gp.output = out;
              child.stdout?.on('data', (c: Buffer) => (gp.output += c.toString()));
              child.stdout?.off('data', onData);
              resolvePromise(gp);
              return;
            }
          } catch {
            /* a partial line */
          }
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code} before it was ready:\n${out.slice(-3000)}`));
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/graphql`;
  }

  get logs(): string {
    return this.output;
  }

  /** SIGTERM and wait for the graceful drain. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: no drain, no cleanup — a crashed instance. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((r) => {
      this.child.once('exit', () => r());
      // SIGKILL the whole group (the gateway, and tsx when not direct); SIGTERM goes to the child, which drains.
      if (sig === 'SIGKILL' && this.child.pid !== undefined) process.kill(-this.child.pid, sig);
      else this.child.kill(sig);
    });
  }
}
