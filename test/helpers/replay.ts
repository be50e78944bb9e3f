/**
 * A replay server for contract fixtures: an HTTP server on a free loopback
 * port that answers each request with the first matching canned reply, and
 * records every request (method, path, body) for the test to look at.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CannedReply {
  status: number;
  contentType?: string | undefined;
  body: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export class ReplayServer {
  readonly requests: RecordedRequest[] = [];
  private routes: { method: string; path: RegExp; reply: CannedReply }[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ReplayServer> {
    let self: ReplayServer | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self?.answer(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new ReplayServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** Later routes win over earlier ones for the same request (so a test can override a default). */
  on(method: string, path: RegExp, reply: CannedReply): this {
    this.routes.unshift({ method, path, reply });
    return this;
  }

  reset(): void {
    this.routes = [];
    this.requests.length = 0;
  }

  /** Requests other than the token call. */
  apiRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith('/api/'));
  }

  private answer(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, authorization: req.headers.authorization, body });
    const route = this.routes.find((r) => r.method === method && r.path.test(path));
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"NOT_FOUND","message":"no fixture for this request"}');
      return;
    }
    const headers: Record<string, string> = {};
    if (route.reply.contentType) headers['content-type'] = route.reply.contentType;
    res.writeHead(route.reply.status, headers).end(route.reply.body);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
