/**
 * Renders the dashboard with plain DOM (no framework: the page stays a few KiB and paints at once).
 * Status is always written as text with an icon, never by colour alone; rows carry data-* attributes
 * (entity id and status) so tests and scripts can read what is shown.
 */
import { IN_FLIGHT_STATUSES, type StatusCount, type StationRow } from './queries';
import type { DashboardState } from './state';

type Attrs = Record<string, string | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

const CONNECTIVITY: Record<StationRow['connectivity'], { icon: string; text: string }> = {
  ONLINE: { icon: '●', text: 'Online' },
  OFFLINE: { icon: '✕', text: 'Offline' },
  UNKNOWN: { icon: '?', text: 'Unknown' },
};

const time = (iso: string | null): string => (iso ? new Date(iso).toLocaleTimeString(undefined, { hour12: false }) : '—');
/** A short, stable handle for an opaque id (the full id is in the title and data attribute). */
const shortId = (id: string): string => (id.length > 10 ? `${id.slice(0, 8)}…` : id);
const words = (status: string): string => status.toLowerCase().replace(/_/g, ' ');

function stationTile(s: DashboardState, st: StationRow): HTMLElement {
  const c = CONNECTIVITY[st.connectivity];
  const current = s.currentCaptureStatus(st);
  return el(
    'li',
    { class: 'tile', 'data-station-id': st.id, 'data-connectivity': st.connectivity, 'data-busy': String(st.busy) },
    el('h3', {}, st.name),
    el('p', { class: `conn conn-${st.connectivity.toLowerCase()}` }, el('span', { 'aria-hidden': 'true' }, c.icon + ' '), c.text),
    el('p', {}, 'Operator: ', st.loggedIn && st.operatorCpf ? st.operatorCpf : st.loginStatus ? words(st.loginStatus) : '—'),
    el('p', { class: st.busy ? 'busy' : 'free' }, st.busy ? '◼ Busy' : '◻ Free'),
    el(
      'p',
      { 'data-current-capture': st.currentCapture?.id },
      'Capture: ',
      st.currentCapture && current ? el('span', { title: st.currentCapture.id }, `${shortId(st.currentCapture.id)} · ${words(current)}`) : 'none',
    ),
    el('p', { class: 'muted' }, `Checked ${time(st.lastCheckedAt)}`),
  );
}

function table(caption: string, head: string[], rows: HTMLTableRowElement[], empty: string): HTMLElement {
  if (rows.length === 0) return el('p', { class: 'muted' }, empty);
  return el(
    'table',
    {},
    el('caption', { class: 'sr-only' }, caption),
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows),
  );
}

function capturesTable(s: DashboardState): HTMLElement {
  const order = new Map<string, number>(IN_FLIGHT_STATUSES.map((st, i) => [st, i]));
  const rows = [...s.inFlight.values()]
    .sort((a, b) => (order.get(a.status) ?? 99) - (order.get(b.status) ?? 99) || b.createdAt.localeCompare(a.createdAt))
    .map((c) =>
      el(
        'tr',
        { 'data-capture-id': c.id, 'data-status': c.status },
        el('td', {}, el('span', { class: 'status' }, words(c.status))),
        el('td', { title: c.id }, shortId(c.id)),
        el('td', {}, c.station?.name ?? '—'),
        el('td', {}, `${words(c.mode)} ${words(c.kind)}`),
        el('td', {}, c.cpf),
        el('td', {}, time(c.updatedAt)),
      ),
    );
  return table('Captures in flight, by status', ['Status', 'Capture', 'Station', 'Flow', 'CPF', 'Updated'], rows, 'No capture in flight.');
}

function feedTable(s: DashboardState): HTMLElement {
  const rows = s.feedRows().map((t) =>
    el(
      'tr',
      { 'data-transaction-id': t.id, 'data-status': t.status },
      el('td', {}, el('span', { class: 'status' }, words(t.status))),
      el('td', { title: t.id }, shortId(t.id)),
      el('td', {}, t.cpf),
      el('td', {}, t.reason),
      el('td', {}, time(t.updatedAt)),
    ),
  );
  return table('Latest proof-of-life requests, newest first', ['Status', 'Transaction', 'CPF', 'Reason', 'Updated'], rows, 'No proof-of-life request yet.');
}

function counts(kind: 'transactions' | 'captures', label: string, total: number, byStatus: StatusCount[]): HTMLElement {
  return el(
    'div',
    { class: 'counts', 'data-count-kind': kind },
    el('h3', {}, label, ' ', el('span', { 'data-total': kind }, String(total))),
    byStatus.length === 0
      ? el('p', { class: 'muted' }, 'None today.')
      : el('dl', {}, ...byStatus.flatMap((b) => [el('dt', {}, words(b.status)), el('dd', { 'data-status': b.status }, String(b.count))])),
  );
}

/** Replaces the content of each section (the page is small: a full redraw costs well under a frame). */
export function render(s: DashboardState, parts: { stations: HTMLElement; captures: HTMLElement; feed: HTMLElement; counts: HTMLElement }): void {
  const tiles = [...s.stations.values()].map((st) => stationTile(s, st));
  parts.stations.replaceChildren(tiles.length ? el('ul', { class: 'tiles' }, ...tiles) : el('p', { class: 'muted' }, 'No station configured.'));
  parts.captures.replaceChildren(capturesTable(s));
  parts.feed.replaceChildren(feedTable(s));
  const st = s.stats;
  parts.counts.replaceChildren(
    ...(st
      ? [
          el('p', { class: 'muted' }, `Created since ${new Date(st.since).toISOString().slice(0, 16).replace('T', ' ')} UTC, by current status.`),
          counts('transactions', 'Proofs of life', st.transactions.total, st.transactions.byStatus),
          counts('captures', 'Captures', st.captures.total, st.captures.byStatus),
        ]
      : [el('p', { class: 'muted' }, 'Loading…')]),
  );
}
