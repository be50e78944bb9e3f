import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';

/**
 * Persisted ("trusted") documents: the GraphQL documents a client was built
 * with, known to the gateway by hash from manifests written at build time
 * (graphql-codegen client-preset `persistedDocuments`: `{ "sha256:<hex>": "<document>" }`).
 *
 * A request names one by `documentId` (GraphQL-over-HTTP Appendix A; `sha256:<hex>` or the bare hex)
 * or by Apollo's `extensions.persistedQuery.sha256Hash`. The gateway puts the manifest's text in
 * its place before anything else sees the request, so limits, audit and the WebSocket fan-out work
 * on the same text for every client of that document (subscribers of one document still share one
 * execution). With `only`, a request without a known document is refused: the manifests are then a
 * safelist, and nothing a client sends can add to them (Apollo's own APQ registry is off).
 */

export type PersistedRefusal = 'PERSISTED_DOCUMENT_REQUIRED' | 'PERSISTED_DOCUMENT_NOT_FOUND';

/** What to run for one request: the manifest's text, the client's own text, or a refusal. */
export type Resolution =
  | { kind: 'persisted'; query: string }
  | { kind: 'raw' }
  /** An Apollo hash the manifests do not know, without ONLY: Apollo's APQ answers (PERSISTED_QUERY_NOT_FOUND, then registers). */
  | { kind: 'apq' }
  | { kind: 'refused'; code: PersistedRefusal; message: string };

const SHA256_HEX = /^[0-9a-f]{64}$/;
const REQUIRED = {
  kind: 'refused',
  code: 'PERSISTED_DOCUMENT_REQUIRED',
  message: 'This gateway runs only persisted documents: send documentId (or extensions.persistedQuery) instead of a query',
} as const satisfies Resolution;

/** The manifest key for an id as clients send it: sha256 ids by their lowercase hex, other ids as they are. */
function keyOf(id: string): string {
  const hex = id.startsWith('sha256:') ? id.slice(7).toLowerCase() : id.toLowerCase();
  return SHA256_HEX.test(hex) ? hex : id;
}

/** A document's id as codegen's client-preset computes it: the sha256 of its text, lowercase hex. */
function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class PersistedDocuments {
  private readonly docs: Map<string, string>;

  constructor(
    docs: ReadonlyMap<string, string>,
    /** `PERSISTED_DOCUMENTS_ONLY`: refuse documents that are not in a manifest. */
    readonly only: boolean,
  ) {
    this.docs = new Map(docs);
  }

  /**
   * Adds a document the gateway itself ships (the dashboard's): its page sends the returned id, so it
   * keeps working under `only` without anyone listing it in a manifest. Returns `sha256:<hex>`.
   */
  register(text: string): string {
    const hex = sha256Hex(text);
    this.docs.set(hex, text);
    return `sha256:${hex}`;
  }

  get size(): number {
    return this.docs.size;
  }

  /**
   * Reads manifests at boot. A file that cannot be read or parsed, or a sha256 key that is not the
   * hash of its document (a hand-edited or truncated manifest), throws a message naming the file.
   */
  static load(paths: string[], only: boolean): PersistedDocuments {
    const docs = new Map<string, string>();
    for (const path of paths) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        throw new Error(`${path}: ${typeof code === 'string' ? `cannot be read (${code})` : 'is not valid JSON'}`);
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${path}: expected a JSON object of "<hash>": "<document>"`);
      for (const [id, text] of Object.entries(parsed)) {
        if (typeof text !== 'string' || !text.trim()) throw new Error(`${path}: the document of "${id}" is not a non-empty string`);
        const key = keyOf(id);
        if (SHA256_HEX.test(key) && sha256Hex(text) !== key) {
          throw new Error(`${path}: "${id}" is not the sha256 of its document`);
        }
        docs.set(key, text);
      }
    }
    return new PersistedDocuments(docs, only);
  }

  /**
   * @param body the request's `query`, `documentId` and `extensions` (HTTP body or query string, graphql-ws payload)
   * @param apq whether Apollo's APQ registry stands behind this transport (HTTP without ONLY)
   */
  resolve(body: { query?: unknown; documentId?: unknown; extensions?: unknown }, apq: boolean): Resolution {
    const pq = (body.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
    const documentId = typeof body.documentId === 'string' ? body.documentId : null;
    const apolloHash = typeof pq?.sha256Hash === 'string' ? pq.sha256Hash : null;
    const id = documentId ?? apolloHash;
    const hasText = typeof body.query === 'string' && body.query.trim() !== '';
    if (id !== null) {
      const text = this.docs.get(keyOf(id));
      if (text !== undefined) return { kind: 'persisted', query: text };
      if (!this.only && documentId === null) {
        // Apollo's hash + text: the client's own text is allowed without ONLY (HTTP: APQ checks the hash).
        if (apq) return { kind: 'apq' };
        if (hasText) return { kind: 'raw' };
      }
      return { kind: 'refused', code: 'PERSISTED_DOCUMENT_NOT_FOUND', message: `No persisted document "${id.slice(0, 80)}" on this gateway` };
    }
    if (this.only) return REQUIRED;
    return { kind: 'raw' };
  }

  /**
   * Express middleware in front of Apollo on `/graphql`: swaps a known document's text in (POST body,
   * GET query string) and answers refusals itself with a GraphQL error body (HTTP 400).
   */
  middleware(): (req: Request, res: Response, next: NextFunction) => void {
    const apq = !this.only;
    return (req, res, next) => {
      if (req.method === 'POST') {
        const body = req.body as unknown;
        // Not an object (a batch, no JSON body): Apollo refuses it with its own message; with ONLY, so do we
        // (a safelist must not depend on another layer's refusal).
        if (!body || typeof body !== 'object' || Array.isArray(body)) return this.only ? refuse(res, REQUIRED) : next();
        const b = body as Record<string, unknown>;
        const r = this.resolve(b, apq);
        if (r.kind === 'refused') return refuse(res, r);
        if (r.kind === 'persisted') {
          b['query'] = r.query;
          delete b['documentId'];
          const rest = withoutPersistedQuery(b['extensions']);
          if (rest === undefined) delete b['extensions'];
          else b['extensions'] = rest;
        }
        return next();
      }
      if (req.method === 'GET') {
        const url = new URL(req.url, 'http://gateway.invalid');
        const params = url.searchParams;
        let extensions: unknown;
        try {
          extensions = params.has('extensions') ? JSON.parse(params.get('extensions')!) : undefined;
        } catch {
          return this.only ? refuse(res, REQUIRED) : next(); // Apollo answers malformed extensions
        }
        const r = this.resolve({ query: params.get('query') ?? undefined, documentId: params.get('documentId') ?? undefined, extensions }, apq);
        if (r.kind === 'refused') return refuse(res, r);
        if (r.kind === 'persisted') {
          params.set('query', r.query);
          params.delete('documentId');
          const rest = withoutPersistedQuery(extensions);
          if (rest === undefined) params.delete('extensions');
          else params.set('extensions', JSON.stringify(rest));
          // as-integrations/express5 reads the query string from req.url.
          req.url = url.pathname + url.search;
        }
        return next();
      }
      next();
    };
  }
}

function withoutPersistedQuery(extensions: unknown): Record<string, unknown> | undefined {
  if (!extensions || typeof extensions !== 'object') return undefined;
  const { persistedQuery: _dropped, ...rest } = extensions as Record<string, unknown>;
  return Object.keys(rest).length ? rest : undefined;
}

function refuse(res: Response, r: { code: PersistedRefusal; message: string }): void {
  res.status(400).json({ errors: [{ message: r.message, extensions: { code: r.code } }] });
}
