/**
 * The four examples of an SDK `McpServer` protected with Gatehouse (served by `listen`, mounted in Express and in
 * Hono, and as a fetch handler), each started as its own process configured from the environment as a person
 * runs it, then driven over loopback HTTP with the official MCP client and tokens from a local issuer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, extractWWWAuthenticateParams } from '@modelcontextprotocol/client';
import { freePort } from '../helpers/cli.js';
import { runExample, runExampleToExit } from '../helpers/example-process.js';
import { TestIssuer } from '../helpers/issuer.js';
import { within, type RunningProcess } from '../helpers/process.js';
import { postMcp } from '../helpers/server.js';

const SCOPES = ['read:whoami', 'notes:read', 'prompts:greet'];

/** Each example, whether it has a route of the person's own app beside Gatehouse's, and the signal it is stopped with. */
const EXAMPLES: { name: string; ownRoute: boolean; signal: 'SIGINT' | 'SIGTERM' }[] = [
  { name: 'sdk-server', ownRoute: false, signal: 'SIGINT' },
  { name: 'express', ownRoute: true, signal: 'SIGTERM' },
  { name: 'hono', ownRoute: true, signal: 'SIGINT' },
  { name: 'fetch-handler', ownRoute: false, signal: 'SIGTERM' },
];

/** Run `use` with an official MCP client connected to `url`, presenting `token`. */
async function withClient<T>(url: string, token: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ name: 'sdk-examples-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

const textOf = (content: unknown): string | undefined =>
  content !== null && typeof content === 'object' && 'text' in content && typeof content.text === 'string' ? content.text : undefined;

/** One JSON-RPC request posted raw, to see the HTTP status and challenge the client would turn into an error. */
function postRequest(url: string, token: string, method: string, params: Record<string, unknown>): Promise<Response> {
  return postMcp(url, token, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), { 'mcp-protocol-version': '2025-11-25' });
}

/** A 403 whose challenge says the token lacks a scope, and names it. */
async function assertRefusedForScope(response: Response, scope: string): Promise<void> {
  assert.equal(response.status, 403);
  const challenge = response.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer error="insufficient_scope"/);
  assert.deepEqual(/scope="([^"]*)"/.exec(challenge)?.[1]?.split(' '), [scope]);
  await response.body?.cancel();
}

describe('the SDK server examples as processes', () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await issuer.close();
  });

  for (const { name, ownRoute, signal } of EXAMPLES) {
    describe(`examples/${name}/server.ts`, () => {
      let example: RunningProcess | undefined;
      let origin: string;
      let url: string;
      const token = (scope: string) => issuer.token(url, { scope, sub: 'ada' });

      before(async () => {
        const port = await freePort();
        example = runExample(name, { ISSUER_URL: issuer.url, JWKS_URI: issuer.jwksUri, PORT: String(port) });
        const [, printed] = await example.waitFor(/MCP endpoint: (http\S+)/, 30_000);
        origin = `http://localhost:${port}`;
        url = `${origin}/mcp`;
        assert.equal(printed, url, 'PUBLIC_URL defaults to http://localhost:$PORT');
      });
      // Whatever happened above: SIGTERM, then SIGKILL if it lingers.
      after(async () => {
        await example?.stop();
      });

      it('answers whoami with the subject of the token', async () => {
        const result = await withClient(url, await token('read:whoami'), (client) => client.callTool({ name: 'whoami', arguments: {} }));
        assert.deepEqual(result.content, [{ type: 'text', text: 'ada' }]);
      });

      it('lets a token without scopes read notes://public', async () => {
        const read = await withClient(url, await token(''), (client) => client.readResource({ uri: 'notes://public' }));
        assert.equal(read.contents[0]?.uri, 'notes://public');
        assert.ok(textOf(read.contents[0]), 'the public notes have text');
      });

      it('refuses notes://private, greet and whoami with 403 naming the missing scope', async () => {
        const weak = await token('');
        await assertRefusedForScope(await postRequest(url, weak, 'resources/read', { uri: 'notes://private' }), 'notes:read');
        await assertRefusedForScope(await postRequest(url, weak, 'prompts/get', { name: 'greet', arguments: {} }), 'prompts:greet');
        await assertRefusedForScope(await postRequest(url, weak, 'tools/call', { name: 'whoami', arguments: {} }), 'read:whoami');
      });

      it('serves notes://private and greet (with and without a name) to a token granting their scopes', async () => {
        await withClient(url, await token('notes:read prompts:greet'), async (client) => {
          const read = await client.readResource({ uri: 'notes://private' });
          assert.match(textOf(read.contents[0]) ?? '', /\bada\b/);
          const named = await client.getPrompt({ name: 'greet', arguments: { name: 'Grace' } });
          assert.match(textOf(named.messages[0]?.content) ?? '', /\bGrace\b/);
          const unnamed = await client.getPrompt({ name: 'greet', arguments: {} });
          assert.match(textOf(unnamed.messages[0]?.content) ?? '', /\bada\b/);
        });
      });

      it('lists the prompt with its one optional argument', async () => {
        const { prompts } = await withClient(url, await token(''), (client) => client.listPrompts());
        assert.deepEqual(
          prompts.map((p) => ({ name: p.name, arguments: p.arguments?.map((a) => ({ name: a.name, required: a.required ?? false })) })),
          [{ name: 'greet', arguments: [{ name: 'name', required: false }] }],
        );
      });

      it('answers 401 without a token, pointing at metadata that names the issuer and every scope', async () => {
        const response = await postMcp(url);
        assert.equal(response.status, 401);
        const { resourceMetadataUrl } = extractWWWAuthenticateParams(response);
        assert.equal(resourceMetadataUrl?.href, `${origin}/.well-known/oauth-protected-resource/mcp`);
        const metadata = (await (await fetch(resourceMetadataUrl!)).json()) as Record<string, unknown>;
        assert.equal(metadata['resource'], url);
        assert.deepEqual(metadata['authorization_servers'], [issuer.url]);
        for (const scope of SCOPES) assert.ok((metadata['scopes_supported'] as string[]).includes(scope), `scopes_supported names ${scope}`);
      });

      it('refuses a token issued for another audience', async () => {
        const foreign = await issuer.token('http://localhost:1/mcp', { scope: SCOPES.join(' '), sub: 'ada' });
        const response = await postMcp(url, foreign);
        assert.equal(response.status, 401);
        assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      });

      if (ownRoute) {
        it("still answers the app's own route", async () => {
          const response = await fetch(`${origin}/`);
          assert.equal(response.status, 200);
          assert.equal(await response.text(), 'hello');
        });
      }

      it(`exits with status 0 on ${signal}`, async () => {
        example!.child.kill(signal);
        assert.equal(await within(example!.exited, 10_000, `examples/${name} stopping on ${signal}`), 0);
      });
    });
  }
});

describe('the SDK server examples with missing configuration', () => {
  for (const { name } of EXAMPLES) {
    it(`examples/${name} exits non-zero naming ISSUER_URL`, async () => {
      const { code, stderr, output } = await runExampleToExit(name, { JWKS_URI: 'https://auth.example.com/jwks', PORT: String(await freePort()) });
      assert.notEqual(code, 0);
      assert.match(stderr, /Missing required environment variable ISSUER_URL\b/);
      assert.doesNotMatch(output, /MCP endpoint/);
    });
  }
});
