// One bench target in a process of its own (see hostTarget in common.ts): servers under test never share a heap,
// a garbage collector or process-wide hooks (AsyncLocalStorage's promise hooks on Node 22) with one another.
// Usage: node --import tsx bench/host.ts <kind> <json args>; answers over IPC.
import { startJwtTarget, startNoAuthTarget } from './scenarios/auth-overhead.js';
import { startCeiling } from './scenarios/ceiling.js';
import { startFastMcpPeer } from './scenarios/fastmcp-peer.js';
import { startIntrospection } from './scenarios/introspection.js';
import { startMcpHandlerPeer } from './scenarios/mcp-handler-peer.js';
import { startBareSdkTarget, startProtectTarget } from './scenarios/protect.js';
import { startSdkPeer } from './scenarios/sdk-peer.js';
import type { HostKind, HttpTarget } from './common.js';
import { answerParent } from './host-channel.js';

interface Args {
  issuer: { url: string; jwksUri: string };
  resourceUrl: string;
  port: number;
  tokens: string[];
  distinctTokens: number;
}

const [kind, json] = process.argv.slice(2) as [HostKind, string];
const args = JSON.parse(json) as Args;
let calls: () => number = () => 0;

async function start(): Promise<HttpTarget> {
  switch (kind) {
    case 'gatehouse-jwt':
      return startJwtTarget(args.issuer, args.port, args.tokens);
    case 'gatehouse-noauth':
      return startNoAuthTarget();
    case 'sdk-v2-peer':
      return startSdkPeer(args.issuer, args.resourceUrl, args.tokens);
    case 'mcp-handler-peer':
      return startMcpHandlerPeer(args.issuer, args.resourceUrl, args.tokens);
    case 'fastmcp-peer':
      return startFastMcpPeer(args.issuer, args.resourceUrl, args.tokens);
    case 'bare-node-http':
      return startCeiling();
    case 'gatehouse-introspection': {
      const intro = await startIntrospection(args.distinctTokens);
      calls = () => intro.server.calls;
      return intro.target;
    }
    case 'protect-jwt':
      return startProtectTarget(args.issuer, args.port, args.tokens);
    case 'sdk-noauth':
      return startBareSdkTarget();
  }
}

answerParent(await start(), () => calls());
