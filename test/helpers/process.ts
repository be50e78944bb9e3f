import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');

/**
 * A gateway as its own OS process (`src/main.ts`, exactly what `npm start`
 * runs), for the scale-out tests: real processes share PostgreSQL and Redis,
 * and can be killed with SIGKILL.
 */
export class GatewayProcess {
  private output = '';
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /**
   * `direct`: run `node --import tsx src/main.ts`, so that `kill()` kills the
   * gateway itself (through the `tsx` launcher, SIGKILL leaves the real node
   * process running — a restart test would then still talk to the old one).
   */
  static start(env: Record<string, string>, timeoutMs = 60_000, opts: { direct?: boolean } = {}): Promise<GatewayProcess> {
    const [cmd, args] = opts.direct ? [process.execPath, ['--import', 'tsx', 'src/main.ts']] : [TSX, ['src/main.ts']];
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', SIMULATORS: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
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
      child.on('exit', (code) => {
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
      this.child.kill(sig);
    });
  }
}
