import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A load balancer for tests: every request goes to the next backend in turn, headers untouched. */
export class RoundRobin {
  #server?: Server;
  #next = 0;
  port = 0;
  readonly served: number[];

  constructor(private readonly backends: number[]) {
    this.served = backends.map(() => 0);
  }

  /** Listen on `port` (the port the replicas' public URL names), or a free one. */
  static async start(backends: number[], port = 0): Promise<RoundRobin> {
    const balancer = new RoundRobin(backends);
    balancer.#server = createServer((incoming, outgoing) => {
      const index = balancer.#next++ % balancer.backends.length;
      balancer.served[index]! += 1;
      const upstream = request(
        { host: '127.0.0.1', port: balancer.backends[index], method: incoming.method, path: incoming.url, headers: incoming.headers },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      upstream.on('error', () => {
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      });
      incoming.pipe(upstream);
    });
    await new Promise<void>((resolve) => balancer.#server!.listen(port, '127.0.0.1', resolve));
    balancer.port = (balancer.#server!.address() as AddressInfo).port;
    return balancer;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}
