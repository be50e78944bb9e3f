/**
 * The live operations dashboard (`/dashboard`): station tiles, captures in flight, the proof-of-life feed and
 * today's counts, on the public GraphQL API only. One HTTP snapshot (with `eventCursor` in the same
 * request), then the `events` feed over graphql-ws from that position; reconnects follow the README's
 * "Realtime: reconnect recipe" (connectionParams is a function returning the highest seq applied), so a
 * dropped socket or a restarted gateway resumes without gap or duplicate. Counts come from `stats`, asked
 * again after the events that can change them (exact, instead of guessing each row's previous status).
 */
import { createClient, type Client } from 'graphql-ws';
import './dashboard.css';
import { graphqlEndpoints, loadPageConfig, pageRoot, showFatal } from '../shared/page';
import { EVENTS, FEED_SIZE, IN_FLIGHT_STATUSES, SNAPSHOT, STATS, type FeedEvent, type SnapshotData, type StatsData } from './queries';
import { DashboardState } from './state';
import { el, render } from './view';

interface DashboardConfig {
  /** A dev viewer token, only in development on a loopback Host; never in production. */
  devToken: string | null;
  /** Persisted-document ids of this page's documents, by operation name (sent with each, see `post`). */
  documents?: Partial<Record<(typeof OPERATIONS)[number], string>>;
}

/** Set from the page config before the first request. */
let documentIds: NonNullable<DashboardConfig['documents']> = {};

/** The operation name of one of this page's documents (`query Name…` / `subscription Name…`). */
const OPERATIONS = ['DashboardSnapshot', 'DashboardStats', 'DashboardEvents'] as const;
function operationName(query: string): (typeof OPERATIONS)[number] | null {
  const name = /^(?:query|subscription)\s+(\w+)/.exec(query)?.[1];
  return OPERATIONS.find((o) => o === name) ?? null;
}

/**
 * The request's document: the id the gateway registered for it when it gave one (it runs its own copy
 * of the text, so the page works when only persisted documents are allowed, and the text is not sent
 * again on every request), else the text. `query` stays a string: graphql-ws requires one.
 */
function documentOf(query: string): { query: string; documentId?: string } {
  const name = operationName(query);
  const id = name ? documentIds[name] : undefined;
  return id ? { query: '', documentId: id } : { query };
}

interface GqlResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const endpoints = graphqlEndpoints();

async function post<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(endpoints.http, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ ...documentOf(query), variables }),
  });
  const body = (await res.json()) as GqlResponse<T>;
  if (body.errors?.length || !body.data) {
    const e = body.errors?.[0];
    throw new Error(e ? `${e.extensions?.code ?? 'ERROR'}: ${e.message}` : `HTTP ${res.status}`);
  }
  return body.data;
}

function section(id: string, title: string): { section: HTMLElement; body: HTMLElement } {
  const body = el('div', { class: 'section-body' }, el('p', { class: 'muted' }, 'Loading…'));
  return { section: el('section', { 'aria-labelledby': id, id: `${id}-section` }, el('h2', { id }, title), body), body };
}

async function main(): Promise<void> {
  const root = pageRoot();
  // The skeleton first (first paint does not wait for the config or the snapshot).
  const status = el('p', { role: 'status', 'aria-live': 'polite', class: 'conn-state', 'data-state': 'idle' }, 'Not connected.');
  const alert = el('p', { role: 'alert', class: 'alert', hidden: '' });
  const tokenInput = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: '' });
  const form = el(
    'form',
    { class: 'token-form', 'aria-label': 'Access token' },
    el('label', { for: 'token' }, 'Access token'),
    tokenInput,
    el('button', { type: 'submit' }, 'Connect'),
  );
  const stations = section('stations-h', 'Stations');
  const captures = section('captures-h', 'Captures in flight');
  const feed = section('feed-h', `Proof-of-life feed (latest ${FEED_SIZE})`);
  const counts = section('counts-h', "Today's counts");
  root.replaceChildren(
    el('header', {}, el('h1', {}, 'Operations dashboard'), form, status, alert),
    el('main', {}, stations.section, counts.section, captures.section, feed.section),
  );
  const parts = { stations: stations.body, captures: captures.body, feed: feed.body, counts: counts.body };

  const config = await loadPageConfig<DashboardConfig>(root);
  if (config.devToken) tokenInput.value = config.devToken;
  documentIds = config.documents ?? {};

  const state = new DashboardState();
  let client: Client | null = null;
  let generation = 0;
  let renderQueued = false;
  const draw = () => {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      render(state, parts);
      root.dataset['lastSeq'] = String(state.lastSeq);
    });
  };
  const setStatus = (s: 'connecting' | 'live' | 'reconnecting' | 'idle', text: string) => {
    status.dataset['state'] = s;
    status.textContent = text;
  };
  const showError = (msg: string | null, source = 'page') => {
    alert.hidden = msg === null;
    alert.textContent = msg ?? '';
    alert.dataset['source'] = msg === null ? '' : source;
  };

  // Counts: one `stats` request at a time, asked again after events (coalesced), newest answer wins.
  let statsTimer: ReturnType<typeof setTimeout> | undefined;
  let statsAsked = 0;
  const refreshStats = (token: string, gen: number) => {
    clearTimeout(statsTimer);
    statsTimer = setTimeout(() => {
      const n = ++statsAsked;
      post<{ stats: StatsData }>(token, STATS)
        .then((d) => {
          if (gen !== generation || n !== statsAsked) return;
          state.stats = d.stats;
          if (alert.dataset['source'] === 'counts') showError(null);
          root.dataset['statsAt'] = String(state.lastSeq);
          draw();
        })
        .catch((err: unknown) => {
          // Typically the gateway is restarting: the socket's reconnect asks again.
          if (gen === generation) showError(`Counts not refreshed: ${err instanceof Error ? err.message : String(err)}`, 'counts');
        });
    }, 150);
  };

  const connect = async (token: string) => {
    const gen = ++generation;
    await client?.dispose();
    client = null;
    setStatus('connecting', 'Connecting…');
    showError(null);
    let snap: SnapshotData;
    try {
      snap = await post<SnapshotData>(token, SNAPSHOT, { inFlight: IN_FLIGHT_STATUSES });
    } catch (err) {
      if (gen !== generation) return;
      setStatus('idle', 'Not connected.');
      showError(`Could not load the dashboard: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (gen !== generation) return;
    state.load(snap);
    draw();
    let everConnected = false;
    const c = createClient({
      url: endpoints.ws,
      // Called again on every reconnect: the resume position is always the last event applied.
      connectionParams: () => ({ authorization: `Bearer ${token}`, afterSeq: state.lastSeq }),
      shouldRetry: () => true,
      retryAttempts: Infinity,
      retryWait: (n) => new Promise((r) => setTimeout(r, Math.min(500 * 2 ** n, 8000) + Math.random() * 500)),
      lazy: false,
      on: {
        connecting: () => {
          if (gen === generation) setStatus(everConnected ? 'reconnecting' : 'connecting', everConnected ? 'Reconnecting…' : 'Connecting…');
        },
        connected: () => {
          if (gen !== generation) return;
          const again = everConnected;
          everConnected = true;
          setStatus('live', 'Live');
          // Counts may have moved while the socket was down even if no event we follow says so.
          if (again) refreshStats(token, gen);
        },
        closed: () => {
          if (gen === generation && everConnected) setStatus('reconnecting', 'Reconnecting…');
        },
      },
    });
    client = c;
    c.subscribe<{ events: FeedEvent }>(
      documentOf(EVENTS),
      {
        next: (msg) => {
          if (gen !== generation) return;
          const e = msg.data?.events;
          if (msg.errors?.length) showError(`Feed: ${msg.errors[0]?.message ?? 'error'}`);
          if (!e || !state.apply(e)) return;
          if (e.__typename !== 'StationEvent') refreshStats(token, gen);
          draw();
        },
        // A subscription error (e.g. SUBSCRIBER_TOO_SLOW, a revoked token) ends it: start again from the
        // snapshot; the next socket resumes at lastSeq anyway, a new snapshot also refreshes everything.
        error: (err: unknown) => {
          if (gen !== generation) return;
          const msg = Array.isArray(err) ? String((err[0] as { message?: string })?.message) : err instanceof Error ? err.message : 'socket error';
          showError(`Feed stopped (${msg}); reloading.`);
          setTimeout(() => gen === generation && void connect(token), 2000);
        },
        complete: () => undefined,
      },
    );
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = tokenInput.value.trim();
    if (token) void connect(token);
  });
  if (tokenInput.value) void connect(tokenInput.value);
  else {
    setStatus('idle', 'Enter a token to connect.');
    tokenInput.focus();
  }
}

main().catch((err: unknown) => showFatal(pageRoot(), err));
