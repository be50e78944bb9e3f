import type { IncomingMessage } from 'node:http';
import express from 'express';
import { clientIpOf } from '../../src/server/guard';

/** The WebSocket side of TRUST_PROXY: the same answer express gives HTTP requests as `req.ip`. */
function ipWith(trustProxy: false | number | string[], socket: string, xff?: string): string | null {
  const app = express();
  app.set('trust proxy', trustProxy);
  const trust = app.get('trust proxy fn') as (addr: string, hop: number) => boolean;
  const req = { socket: { remoteAddress: socket }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } } as unknown as IncomingMessage;
  return clientIpOf(req, trust);
}

describe('client address of a WebSocket upgrade', () => {
  test('TRUST_PROXY unset: the socket address, X-Forwarded-For ignored', () => {
    expect(ipWith(false, '10.0.0.2', '203.0.113.7')).toBe('10.0.0.2');
  });
  test('one trusted hop: the address the load balancer saw; a spoofed far-left entry is ignored', () => {
    expect(ipWith(1, '10.0.0.2', '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    expect(ipWith(1, '10.0.0.2')).toBe('10.0.0.2');
  });
  test('trusted subnets: walk back while the hop is a trusted proxy', () => {
    expect(ipWith(['10.0.0.0/8'], '10.0.0.2', '203.0.113.7, 10.0.0.9')).toBe('203.0.113.7');
    expect(ipWith(['10.0.0.0/8'], '192.0.2.1', '203.0.113.7')).toBe('192.0.2.1');
  });
});
