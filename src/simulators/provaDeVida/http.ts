import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Handlers build a Reply instead of writing to the socket, so a fault can
 * replace (or follow) the real answer and every exit path is counted once.
 */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Sent verbatim; undefined = empty body. */
  body?: string;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export function empty(status: number, headers: Record<string, string> = {}): Reply {
  return { status, headers };
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  const headers: Record<string, string> = { ...reply.headers };
  const body = reply.body ?? '';
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(body);
}

export class BodyTooLarge extends Error {}

/** Bounded so a misbehaving client cannot make the simulator buffer without limit. */
export function readBody(req: IncomingMessage, limitBytes = 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        reject(new BodyTooLarge('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** undefined = not JSON (the caller decides what that means for its API). Empty body = {}. */
export function parseJson(text: string): Json | undefined {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const BRT_OFFSET_MS = 3 * 60 * 60 * 1000;

/**
 * The upstream answers in Brasília time with microseconds
 * (`2021-05-10T14:14:38.083677-03:00`). JS clocks have milliseconds only, so
 * the extra three digits come from `extraMicros` — a per-transaction value that
 * keeps criado_em and the timestamps derived from it visibly related.
 */
export function formatBrt(ms: number, extraMicros = 0): string {
  const shifted = new Date(ms - BRT_OFFSET_MS).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  return `${shifted.slice(0, 23)}${String(extraMicros).padStart(3, '0')}-03:00`;
}

/** The seed prints the seal's validation time without a fraction; mirroring it keeps the client's lenient parser honest. */
export function formatBrtSeconds(ms: number): string {
  return `${new Date(ms - BRT_OFFSET_MS).toISOString().slice(0, 19)}-03:00`;
}
