import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';

/** Close code for a socket whose consumer fell past its queue bound (graphql-ws clients retry it). */
export const TOO_SLOW_CLOSE_CODE = 4009;
const SUFFIX = Buffer.from('}');
const TEXT = { binary: false } as const;

/** What the queue needs of one subscription on its socket (fanout.ts's `Member`). */
export interface QueuedMember {
  readonly id: string;
  /** `{"id":…,"type":"next","payload":` for this subscription: the shared payload bytes go after it. */
  readonly prefix: Buffer;
  lastSent: number;
  readonly done: boolean;
  end(): void;
}

/** What the queue needs of the fan-out: its bounds and its logger. */
export interface QueueOwner {
  readonly opts: { maxMessages: number; maxBytes: number };
  readonly logger?: Logger | undefined;
}

/**
 * One socket's send queue is the WebSocket's own buffer: `bufferedAmount`
 * (bytes not yet taken by the kernel) and a count of frames handed over while
 * it was backed up and not yet written (entries; a frame the kernel takes at
 * once is not queued). Both are O(1) per push, and nothing else is queued.
 */
export class SocketQueue<M extends QueuedMember> {
  pending = 0;
  readonly members = new Set<M>();
  private waiters: (() => void)[] = [];
  constructor(
    readonly socket: WebSocket,
    private readonly fanout: QueueOwner,
  ) {}

  /** A frame that was queued has been written (a method, not a per-instance arrow: ~350 B per socket). */
  written(): void {
    this.pending--;
    if (this.waiters.length && this.roomy()) this.wake();
  }

  private roomy(): boolean {
    const o = this.fanout.opts;
    return this.pending <= o.maxMessages / 2 && this.socket.bufferedAmount <= o.maxBytes / 2;
  }

  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Replays pace themselves on this: resolves when the queue is at most half full (or the socket is gone). */
  room(): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN || this.roomy()) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Sends one event to one member, or — past the bound — tells every member of this socket where to resume and closes it. */
  offer(m: M, seq: number, payload: Buffer): boolean {
    if (m.done) return false;
    const o = this.fanout.opts;
    const size = m.prefix.length + payload.length + 1;
    if (this.pending >= o.maxMessages || this.socket.bufferedAmount + size > o.maxBytes) {
      this.overflow();
      return false;
    }
    // A frame counts as queued only if the kernel did not take it at once (the socket is backed up).
    const frame = { queued: false };
    this.socket.send(Buffer.concat([m.prefix, payload, SUFFIX], size), TEXT, () => frame.queued && this.written());
    if (this.socket.bufferedAmount > 0) {
      frame.queued = true;
      this.pending++;
    }
    m.lastSent = seq;
    return true;
  }

  private overflow(): void {
    let last = 0;
    for (const m of this.members) {
      last = Math.max(last, m.lastSent);
      const err = new GraphQLError(`Subscriber too slow: more than the socket's queue bound was waiting. Resume with afterSeq: ${m.lastSent}.`, {
        extensions: { code: 'SUBSCRIBER_TOO_SLOW', lastDeliveredSeq: m.lastSent },
      });
      // Written behind the queued events, so the client reads it right after the last one it will get.
      this.socket.send(JSON.stringify({ id: m.id, type: 'next', payload: { errors: [err.toJSON()] } }), TEXT);
      m.end();
    }
    this.fanout.logger?.warn({ lastDeliveredSeq: last, pending: this.pending, bytes: this.socket.bufferedAmount }, 'WebSocket consumer too slow; closed');
    // graphql-ws clients reconnect after this code; with connectionParams.afterSeq they resume exactly.
    this.socket.close(TOO_SLOW_CLOSE_CODE, `Subscriber too slow; resume after seq ${last}`);
  }
}
