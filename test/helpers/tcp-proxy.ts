import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay to a server that tests can cut and restore, to stage an outage of a server they may not stop (a
 * PostgreSQL shared with other work): `cut` drops every connection and refuses new ones, `restore` listens again
 * on the same port; `hang` keeps connections open but relays nothing.
 */
export class TcpProxy {
  #server?: Server;
  readonly #sockets = new Set<Socket>();
  readonly #pairs = new Set<[Socket, Socket]>();
  #hung = false;
  port = 0;

  private constructor(
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost);
    await proxy.restore();
    return proxy;
  }

  /** Listen (again, on the same port once one was chosen) and relay new connections. */
  async restore(): Promise<void> {
    if (this.#server) return;
    const server = createServer((incoming) => {
      const outgoing = connect({ port: this.targetPort, host: this.targetHost });
      for (const socket of [incoming, outgoing]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          incoming.destroy();
          outgoing.destroy();
        });
      }
      const pair: [Socket, Socket] = [incoming, outgoing];
      this.#pairs.add(pair);
      incoming.on('close', () => this.#pairs.delete(pair));
      if (!this.#hung) relay(pair);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Drop every relayed connection and stop listening: connecting is refused until `restore`. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Keep every connection open but pass nothing either way (a server that hangs): new connections too. */
  hang(): void {
    this.#hung = true;
    for (const [incoming, outgoing] of this.#pairs) {
      incoming.unpipe(outgoing);
      outgoing.unpipe(incoming);
    }
  }

  /** Pass data again after `hang`. */
  resume(): void {
    this.#hung = false;
    for (const pair of this.#pairs) relay(pair);
  }

  close(): Promise<void> {
    return this.cut();
  }
}

function relay([incoming, outgoing]: [Socket, Socket]): void {
  incoming.pipe(outgoing);
  outgoing.pipe(incoming);
}
