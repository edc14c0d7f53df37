import assert from 'node:assert/strict';
import { serverUrls, type ServerUrls } from '../../src/resource/urls.js';
import { nativeClientMetadata, registerClient, type AuthorizeOptions, type ClientCredentials } from './authorize.js';
import { freePort } from './cli.js';
import { gatehouseCommand, startGatehouse, type GatehouseProcess } from './gatehouse-process.js';
import { CallbackServer } from './oauth-client.js';
import { RoundRobin } from './round-robin.js';

/** The one person every cluster has, added with `gatehouse users add` before the replicas start. */
export const CLUSTER_PERSON = { email: 'ada@example.com', password: 'correct horse battery staple' };

/** A server as the authorize helpers take it: only its URLs. */
type Addressed = { urls: ServerUrls };

/**
 * Three `gatehouse serve` processes on one shared store, behind a round-robin balancer on the public URL's port,
 * with one person and one registered native client.
 */
export class ReplicaCluster {
  replicas: GatehouseProcess[] = [];
  balancer!: RoundRobin;
  callback!: CallbackServer;
  /** The cluster as clients see it: the balancer's public URL. */
  front!: Addressed;
  clientId = '';

  private constructor(
    private readonly frontPort: number,
    private readonly serveArgs: string[],
    private readonly env: Record<string, string>,
  ) {}

  /** `store`: the `--store` (and `--store-prefix`) flags; `env`: the replicas' shared secret, which seals the keys they keep there. */
  static async start(options: { store: string[]; env: Record<string, string> }): Promise<ReplicaCluster> {
    const frontPort = await freePort();
    const publicUrl = `http://localhost:${frontPort}`;
    // The races the tests run send hundreds of token requests from one address: lift the per-address limit for them.
    const args = [...options.store, '--public-url', publicUrl, '--token-requests-per-minute', '100000'];
    const cluster = new ReplicaCluster(frontPort, args, options.env);
    await gatehouseCommand(['users', 'add', CLUSTER_PERSON.email, '--password-stdin', ...options.store], {
      stdin: `${CLUSTER_PERSON.password}\n`,
      env: options.env,
    });
    cluster.front = { urls: serverUrls(publicUrl) };
    try {
      await cluster.startReplicas();
      cluster.callback = await CallbackServer.start();
      const registered = await registerClient(cluster.front, nativeClientMetadata(cluster.callback.url));
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      cluster.clientId = String(registered.body['client_id']);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The replica's own address, for calling one replica directly (the public URL stays the balancer's). */
  direct(replica: GatehouseProcess): Addressed {
    return { urls: { ...this.front.urls, issuer: `http://localhost:${replica.port}`, resource: `http://localhost:${replica.port}/mcp` } };
  }

  /** The registered client, as the token-endpoint helpers take it (a public client: no secret). */
  get client(): ClientCredentials {
    return { clientId: this.clientId };
  }

  /** The person authorizing the cluster's client through the balancer, for `authorize` and `obtainTokens`. */
  signIn(): AuthorizeOptions {
    return { server: this.front, clientId: this.clientId, redirectUri: this.callback.url, ...CLUSTER_PERSON };
  }

  /** Stop every replica and the balancer, then start them again on the same store. */
  async restart(): Promise<void> {
    await this.stopReplicas();
    await this.startReplicas();
  }

  async stop(): Promise<void> {
    await this.stopReplicas();
    await this.callback?.close();
  }

  private async startReplicas(): Promise<void> {
    this.replicas = await Promise.all([0, 1, 2].map(() => startGatehouse({ args: this.serveArgs, env: this.env })));
    this.balancer = await RoundRobin.start(
      this.replicas.map((r) => r.port),
      this.frontPort,
    );
  }

  private async stopReplicas(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop()));
    await this.balancer?.close();
  }
}
