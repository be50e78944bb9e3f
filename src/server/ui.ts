/**
 * Browser pages served by the gateway itself (the explorer at /graphql, the operations dashboard at /dashboard): an HTML shell,
 * one script and one stylesheet per page under `/_ui/<page>/`, and a small JSON settings endpoint. Nothing
 * comes from a CDN, so the pages work on a closed network; the CSP keeps it that way (scripts only from
 * this origin, connections only to this host).
 *
 * Where the bundles come from: the built gateway (dist/, plain node) reads what `npm run build` wrote to
 * dist/ui/<page>/ and never loads esbuild; from the TypeScript sources (`npm start`, tests) each page is
 * bundled once, on first use, and kept in memory.
 *
 * A new page: ui/<page>/main.tsx (helpers in ui/shared/), its name in `UI_PAGES` (ui-bundle.ts), and a
 * `PageRoute` in `mountUi` (its path, title and settings).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { signToken, type JwtSettings } from '../auth/jwt';
import { isLoopback } from '../config';
import { EVENTS as DASHBOARD_EVENTS, SNAPSHOT as DASHBOARD_SNAPSHOT, STATS as DASHBOARD_STATS } from '../../ui/dashboard/queries';
import type { PersistedDocuments } from './persisted-documents';
import type { UiBundle, UiPage } from './ui-bundle';

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}
type PageAssets = Record<'main.js' | 'main.css', Asset>;

/** Per process: every gateway started in it (tests start many) shares one bundle per page. */
const bundles = new Map<UiPage, Promise<PageAssets>>();

function asset(type: string, body: Buffer): Asset {
  return { type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

async function readOrBundle(page: UiPage): Promise<UiBundle> {
  if (__filename.endsWith('.js')) {
    const dir = join(__dirname, '..', '..', 'ui', page);
    const [js, css] = await Promise.all([readFile(join(dir, 'main.js')), readFile(join(dir, 'main.css'))]);
    return { js, css };
  }
  const { bundleUiPage } = require('./ui-bundle') as typeof import('./ui-bundle');
  return bundleUiPage(page);
}

/** The page's assets, loaded once; a failure is not cached (the next request tries again). */
function pageAssets(page: UiPage): Promise<PageAssets> {
  let p = bundles.get(page);
  if (!p) {
    p = readOrBundle(page).then((b) => ({ 'main.js': asset('text/javascript; charset=utf-8', b.js), 'main.css': asset('text/css; charset=utf-8', b.css) }));
    p.catch(() => bundles.delete(page));
    bundles.set(page, p);
  }
  return p;
}

/** A `Host` header safe to repeat in the CSP (name or [IPv6], optional port). */
const SAFE_HOST = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/**
 * Scripts and styles only from this origin, no inline script; connections to this host (HTTP and
 * graphql-ws). Inline styles stay allowed: GraphiQL's components (Radix, framer-motion) inject `<style>`.
 */
function contentSecurityPolicy(req: Request): string {
  const host = req.headers.host;
  const ws = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function commonHeaders(res: Response): void {
  res.set({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cross-origin-resource-policy': 'same-origin' });
}

function pageHtml(page: UiPage, title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_ui/${page}/main.css">
<script defer src="/_ui/${page}/main.js"></script>
</head>
<body>
<div id="root" data-config="/_ui/${page}/config.json"></div>
</body>
</html>
`;
}

/** What a browser's navigation asks for (its Accept prefers HTML); API clients, curl and fetch do not. */
export function prefersHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

export interface UiOptions {
  /**
   * `Config['graphql']['explorer']`: served at all, and whether its headers pane gets a dev viewer token.
   * The dashboard (`/dashboard`) follows the same switch: both are browser pages on the public API.
   */
  explorer: { enabled: boolean; devToken: boolean };
  jwt: JwtSettings;
  logger: Logger;
  /** The dashboard's documents are registered here, so the page works under `PERSISTED_DOCUMENTS_ONLY`. */
  persisted: PersistedDocuments;
}

/** One page: where its HTML is served, and the settings its script fetches from `/_ui/<page>/config.json`. */
interface PageRoute {
  page: UiPage;
  title: string;
  path: string;
  /** The path is also an API endpoint (the explorer's `/graphql`): HTML only for a browser's navigation. */
  sharesApiPath: boolean;
  settings: (req: Request) => Promise<Record<string, unknown>>;
}

/** Mounts the enabled pages; must come before the `/graphql` middleware (the explorer answers browsers there). */
export function mountUi(app: Express, opts: UiOptions): void {
  // A dev token only for a loopback Host: a page on another origin that rebinds its name to 127.0.0.1 gets none.
  const devViewerToken = async (req: Request, allowed: boolean): Promise<string | null> =>
    allowed && isLoopback(req.hostname.replace(/^\[|\]$/g, '')) ? signToken(opts.jwt, { sub: 'dev-viewer', role: 'viewer' }) : null;

  const routes: PageRoute[] = [];
  if (opts.explorer.enabled) {
    routes.push({
      page: 'explorer',
      title: 'GraphiQL · identity-flows gateway',
      path: '/graphql',
      sharesApiPath: true,
      settings: async (req) => ({ devToken: await devViewerToken(req, opts.explorer.devToken) }),
    });
    // The page sends these ids with its documents: with PERSISTED_DOCUMENTS_ONLY (recommended in production)
    // a raw query is refused, and the dashboard must not depend on an operator listing its documents.
    // (The explorer cannot: it runs whatever its user types.)
    const documents = {
      DashboardSnapshot: opts.persisted.register(DASHBOARD_SNAPSHOT),
      DashboardStats: opts.persisted.register(DASHBOARD_STATS),
      DashboardEvents: opts.persisted.register(DASHBOARD_EVENTS),
    };
    routes.push({
      page: 'dashboard',
      title: 'Operations dashboard · identity-flows gateway',
      path: '/dashboard',
      sharesApiPath: false,
      settings: async (req) => ({ devToken: await devViewerToken(req, opts.explorer.devToken), documents }),
    });
  }
  if (routes.length === 0) return;
  const pages = new Set(routes.map((r) => r.page));

  for (const r of routes) {
    app.get(r.path, (req, res, next) => {
      if (r.sharesApiPath && !prefersHtml(req)) return next();
      // Start bundling now (from sources) so the script is ready sooner.
      void pageAssets(r.page).catch(() => undefined);
      commonHeaders(res);
      res.set({ 'content-security-policy': contentSecurityPolicy(req), 'cache-control': 'no-cache' });
      res.type('html').send(pageHtml(r.page, r.title));
    });
    app.get(`/_ui/${r.page}/config.json`, async (req, res) => {
      commonHeaders(res);
      res.set('cache-control', 'no-store').json(await r.settings(req));
    });
  }

  app.get('/_ui/:page/:file', async (req, res, next) => {
    const page = req.params['page'] as UiPage;
    const file = req.params['file'];
    if (!pages.has(page) || (file !== 'main.js' && file !== 'main.css')) return next();
    let a: Asset;
    try {
      a = (await pageAssets(page))[file];
    } catch (err) {
      opts.logger.error({ err, page }, 'ui bundle unavailable (from dist/: run `npm run build`)');
      res.status(503).type('text/plain').send('This page is not available: its bundle could not be loaded.');
      return;
    }
    commonHeaders(res);
    // Revalidated on every load (a rebuilt gateway serves new files at the same URL); 304 when unchanged.
    res.set({ 'content-type': a.type, etag: a.etag, 'cache-control': 'no-cache', vary: 'accept-encoding' });
    if (req.headers['if-none-match'] === a.etag) {
      res.status(304).end();
      return;
    }
    if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
      res.set('content-encoding', 'gzip').send(a.gzip);
    } else {
      res.send(a.body);
    }
  });
}
