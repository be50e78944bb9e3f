import WebSocket from 'ws';

export interface HarnessResult {
  connectedInMs: number;
  connected: number;
  sockets: WebSocket[];
  /** Arrival time (performance.now) of the first `next` after `arm()`, per client; NaN = none yet. */
  arrivals: Float64Array;
  arm(): void;
  close(): void;
}

/**
 * N graphql-transport-ws clients, each its own socket: connection_init, then
 * one subscribe. At most `concurrency` handshakes in flight; a failed connect
 * is retried (up to 5 times, 200 ms apart), as dashboards reconnecting after a
 * restart would. "Connected" = acknowledged and subscribe sent.
 */
export async function connectClients(opts: {
  url: string;
  n: number;
  query: string;
  init: (i: number) => Record<string, unknown>;
  concurrency?: number;
  timeoutMs?: number;
}): Promise<HarnessResult> {
  const { url, n, query } = opts;
  const concurrency = opts.concurrency ?? 200;
  const sockets: WebSocket[] = new Array(n);
  const arrivals = new Float64Array(n).fill(NaN);
  let armed = false;
  let connected = 0;
  const t0 = performance.now();

  const connectOne = (i: number, attempt = 0): Promise<boolean> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, 'graphql-transport-ws');
      let acked = false;
      const fail = () => {
        if (acked) return;
        ws.removeAllListeners();
        ws.terminate();
        if (attempt >= 5) return resolve(false);
        setTimeout(() => connectOne(i, attempt + 1).then(resolve), 200);
      };
      ws.on('error', fail);
      ws.on('close', fail);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: opts.init(i) })));
      ws.on('message', (data) => {
        const s = String(data);
        if (!acked) {
          if (s.includes('"connection_ack"')) {
            acked = true;
            sockets[i] = ws;
            ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
            resolve(true);
          }
          return;
        }
        if (armed && Number.isNaN(arrivals[i]!) && s.startsWith('{"id":"1","type":"next"')) arrivals[i] = performance.now();
      });
    });

  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      if (await connectOne(i)) connected++;
    }
  };
  await Promise.race([
    Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker)),
    new Promise((r) => setTimeout(r, opts.timeoutMs ?? 120_000)),
  ]);
  return {
    connectedInMs: performance.now() - t0,
    connected,
    sockets,
    arrivals,
    arm: () => {
      armed = true;
    },
    close: () => {
      for (const ws of sockets) ws?.terminate();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
