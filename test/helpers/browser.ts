/**
 * Headless Chromium for the pages the gateway serves (explorer, dashboard): Debian's `chromium` driven by
 * playwright-core (no browser download). Every request a page makes — documents, scripts, fetches,
 * WebSockets — is recorded, so a test can assert that none left loopback (the pages must work on a closed
 * network). Chromium's own background traffic is switched off by the launch flags.
 *
 * Chromium missing: outside CI the browser tests are skipped with a message; in CI (`CI=true`) they fail
 * (`.ci/run` installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** `describe` when Chromium is there; locally `describe.skip` with a message; in CI a missing Chromium throws. */
export function describeWithChromium(): jest.Describe {
  if (existsSync(CHROMIUM_PATH)) return describe;
  if (process.env['CI'] === 'true') throw new Error(`no Chromium at ${CHROMIUM_PATH}: required in CI for the browser tests (.ci/run installs it)`);
  process.stderr.write(`SKIP: no Chromium at ${CHROMIUM_PATH}; browser tests skipped (apt-get install -y chromium; they run in CI)\n`);
  return describe.skip;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Schemes that never touch the network. */
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:', 'chrome-error:']);

/** True when `url` stays on this machine. */
export function isLoopbackUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (LOCAL_SCHEMES.has(u.protocol)) return true;
  return ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && (LOOPBACK_HOSTS.has(u.hostname) || /^127\.\d+\.\d+\.\d+$/.test(u.hostname));
}

export class TestBrowser {
  /** Every URL requested by any page of this browser, in order (HTTP requests and WebSocket opens). */
  readonly requests: string[] = [];
  /** Console errors, uncaught page errors and CSP violations, as text. */
  readonly errors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    private readonly profileDir: string,
  ) {}

  /** A fresh profile (new user-data-dir) in headless Chromium. */
  static async launch(): Promise<TestBrowser> {
    const profileDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    try {
      const context = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: FLAGS,
        // Playwright's own defaults would add flags and disable features; keep the listed ones authoritative.
        chromiumSandbox: false,
        viewport: { width: 1280, height: 900 },
        timeout: 60_000,
      });
      const b = new TestBrowser(context, profileDir);
      context.on('request', (r) => b.requests.push(r.url()));
      context.on('page', (p) => b.watch(p));
      for (const p of context.pages()) b.watch(p);
      return b;
    } catch (err) {
      rmSync(profileDir, { recursive: true, force: true });
      throw err;
    }
  }

  private watch(page: Page): void {
    page.on('websocket', (ws) => this.requests.push(ws.url()));
    page.on('pageerror', (err) => this.errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.errors.push(`console: ${msg.text()}`);
    });
  }

  async newPage(): Promise<Page> {
    return this.context.newPage();
  }

  /** Requests that left loopback (should be none). */
  offLoopback(): string[] {
    return this.requests.filter((u) => !isLoopbackUrl(u));
  }

  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.profileDir, { recursive: true, force: true });
    }
  }
}
