/**
 * What every page under ui/ shares: its settings come from a small JSON endpoint named by the root
 * element's `data-config` (the pages run under `script-src 'self'`, so nothing is inlined in the HTML),
 * and the GraphQL endpoint is this same origin, HTTP and graphql-ws on one path.
 */

/** The page's mount point, with the URL of its settings in `data-config`. */
export function pageRoot(): HTMLElement {
  const root = document.getElementById('root');
  if (!root) throw new Error('page has no #root element');
  return root;
}

/** Fetches the page's settings (never cached: a dev token is minted per load). */
export async function loadPageConfig<T>(root: HTMLElement): Promise<T> {
  const url = root.dataset['config'];
  if (!url) throw new Error('#root has no data-config');
  const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The gateway's GraphQL endpoint on this origin: `http(s)://host/graphql` and `ws(s)://host/graphql`. */
export function graphqlEndpoints(path = '/graphql'): { http: string; ws: string } {
  const http = new URL(path, window.location.href);
  const ws = new URL(http.href);
  ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  return { http: http.href, ws: ws.href };
}

/** Shows a failure to start in place of the page (no console digging on a closed network). */
export function showFatal(root: HTMLElement, err: unknown): void {
  const p = document.createElement('p');
  p.className = 'ui-fatal';
  p.setAttribute('role', 'alert');
  p.textContent = `This page could not start: ${err instanceof Error ? err.message : String(err)}`;
  root.replaceChildren(p);
}
