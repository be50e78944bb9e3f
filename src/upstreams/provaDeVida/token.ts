/**
 * The OAuth2 client-credentials token: fetched on first use, kept until a
 * margin before it expires, refreshed once for all concurrent callers. The
 * client secret and the token go only into `Authorization` headers; the log
 * says when a token was refreshed, never what it is.
 */
import type { Logger } from 'pino';
import { UpstreamAuthError } from '../errors';
import { TransientFailure, UPSTREAM, parseJson } from './failures';
import type { Transport } from './transport';
import { tokenResponseSchema } from './wire';

/** The client's token options with their defaults applied (documented on `ProvaDeVidaClientOptions`). */
export interface TokenSettings {
  clientId: string;
  clientSecret: string;
  refreshMarginMs: number;
  defaultTtlSeconds: number;
  now: () => number;
  log: Logger | undefined;
}

export interface TokenSource {
  /** One refresh in flight for every concurrent caller. */
  get(): Promise<string>;
  /** Drops the token only if nobody has replaced it since `used` was sent. */
  invalidate(used: string): void;
}

export function createTokenSource(send: Transport['send'], settings: TokenSettings): TokenSource {
  const { refreshMarginMs: marginMs, defaultTtlSeconds, now, log } = settings;
  const basic = Buffer.from(`${settings.clientId}:${settings.clientSecret}`, 'utf8').toString('base64');

  let token: { value: string; refreshAt: number } | null = null;
  let inflight: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const res = await send(
      'POST',
      '/auth/oauth/token?grant_type=client_credentials',
      `Basic ${basic}`,
      undefined,
      'POST /auth/oauth/token',
    );
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new UpstreamAuthError(UPSTREAM, 'Prova de Vida refused our client credentials');
    }
    if (res.status < 200 || res.status >= 300) throw new TransientFailure('status', res.status);
    const parsed = tokenResponseSchema.safeParse(parseJson(res.text));
    if (!parsed.success) throw new TransientFailure('malformed');
    const ttlMs = (parsed.data.expires_in ?? defaultTtlSeconds) * 1000;
    // A margin as long as the lifetime would refresh on every call: then keep
    // the token for half its life instead.
    const keepMs = ttlMs > marginMs ? ttlMs - marginMs : ttlMs / 2;
    token = { value: parsed.data.access_token, refreshAt: now() + keepMs };
    log?.debug({ event: 'token_refreshed', keepSeconds: Math.round(keepMs / 1000) });
    return parsed.data.access_token;
  }

  return {
    get() {
      if (token && now() < token.refreshAt) return Promise.resolve(token.value);
      if (!inflight) {
        inflight = fetchToken().finally(() => {
          inflight = null;
        });
      }
      return inflight;
    },
    invalidate(used) {
      if (token?.value === used) token = null;
    },
  };
}
