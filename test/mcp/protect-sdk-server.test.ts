import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { McpServer } from '@modelcontextprotocol/server';
import { jwt, protect, resource, type RunningServer } from '../../src/index.js';
import { TestIssuer } from '../helpers/issuer.js';
import { captureLogger, postMcp } from '../helpers/server.js';
import { NOTES_SCOPES, notesServer } from '../helpers/sdk-server.js';

const LEGACY = { 'mcp-protocol-version': '2025-11-25' };
const request = (method: string, params: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', id: 3, method, params });

/** An official MCP client presenting `token`. */
async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'protect-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

/** The text of a resource, read through the client. */
async function readText(client: Client, uri: string): Promise<string | undefined> {
  const [first] = (await client.readResource({ uri })).contents;
  return first && 'text' in first ? first.text : undefined;
}

/** The scope a 403 challenge asks for. */
function challengedScope(response: Response): string | undefined {
  return /scope="([^"]*)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
}

function startProtected(issuer: TestIssuer, options: { hideUnauthorized?: boolean; instance?: McpServer; scopeHierarchy?: Record<string, string[]> } = {}) {
  const server = options.instance ?? (() => notesServer());
  return protect(server, {
    auth: resource({ authorizationServers: issuer.url, verifier: jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }) }),
    scopes: NOTES_SCOPES,
    hideUnauthorized: options.hideUnauthorized ?? false,
    ...(options.scopeHierarchy && { scopeHierarchy: options.scopeHierarchy }),
    logger: captureLogger().logger,
  }).listen(0);
}

describe('protect(): an SDK server with tools, resources, templates and prompts', () => {
  let issuer: TestIssuer;
  let running: RunningServer;
  let url: string;
  const token = (scope: string, sub = 'ada') => issuer.token(url, { scope, sub });
  before(async () => {
    issuer = await TestIssuer.start();
    running = await startProtected(issuer);
    url = running.urls.resource;
  });
  after(async () => {
    await running.close();
    await issuer.close();
  });

  it('serves every kind of thing to a caller with the scopes, and hands handlers the caller through callerOf(ctx)', async () => {
    const client = await connect(url, await token('read:whoami notes:read prompts:greet'));
    try {
      assert.deepEqual((await client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: 'ada' }]);
      assert.deepEqual((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content, [{ type: 'text', text: '5' }]);
      assert.equal(await readText(client, 'notes://public'), 'anyone may read this');
      assert.equal(await readText(client, 'notes://private'), 'private notes of ada');
      assert.equal(await readText(client, 'notes://by-id/7'), 'note 7');
      const prompt = await client.getPrompt({ name: 'greet', arguments: {} });
      assert.deepEqual(prompt.messages[0]?.content, { type: 'text', text: 'Hello ada' });
    } finally {
      await client.close();
    }
  });

  it('answers 403 insufficient_scope naming the scope, for a resource, a template, a prompt, and a tool declaring its own', async () => {
    const weak = await token('');
    const cases: [string, Record<string, unknown>, string][] = [
      ['resources/read', { uri: 'notes://private' }, 'notes:read'],
      ['resources/read', { uri: 'notes://by-id/42' }, 'notes:read'],
      ['resources/subscribe', { uri: 'notes://private' }, 'notes:read'],
      ['prompts/get', { name: 'greet', arguments: {} }, 'prompts:greet'],
      ['completion/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'a' } }, 'prompts:greet'],
      ['tools/call', { name: 'whoami', arguments: {} }, 'read:whoami'],
    ];
    for (const [method, params, scope] of cases) {
      const response = await postMcp(url, weak, request(method, params), LEGACY);
      assert.equal(response.status, 403, `${method} ${JSON.stringify(params)}`);
      assert.equal(challengedScope(response), scope, method);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope"/);
      assert.equal(((await response.json()) as { error: string }).error, 'insufficient_scope');
    }
  });

  it('refuses by the Mcp-Method and Mcp-Name headers before the body is read, and by the body when the headers lie', async () => {
    const weak = await token('');
    const unreadBody = await postMcp(url, weak, 'not even JSON', { 'mcp-method': 'resources/read', 'mcp-name': 'notes://private' });
    assert.equal(unreadBody.status, 403);
    assert.equal(challengedScope(unreadBody), 'notes:read');
    const lying = await postMcp(url, weak, request('resources/read', { uri: 'notes://private' }), {
      ...LEGACY,
      'mcp-method': 'resources/read',
      'mcp-name': 'notes://public',
    });
    assert.equal(lying.status, 403);
    assert.equal(challengedScope(lying), 'notes:read');
  });

  it('lets through what needs nothing beyond the endpoint', async () => {
    const weak = await token('');
    for (const [method, params] of [
      ['resources/read', { uri: 'notes://public' }],
      ['tools/call', { name: 'add', arguments: { a: 1, b: 1 } }],
    ] as const) {
      const response = await postMcp(url, weak, request(method, params), LEGACY);
      assert.equal(response.status, 200, method);
    }
  });

  it('shows every list in full when hiding is off', async () => {
    const client = await connect(url, await token(''));
    try {
      assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), ['add', 'whoami']);
      assert.deepEqual((await client.listResources()).resources.map((r) => r.uri).sort(), ['notes://private', 'notes://public']);
      assert.deepEqual(
        (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate),
        ['notes://by-id/{id}'],
      );
      assert.deepEqual(
        (await client.listPrompts()).prompts.map((p) => p.name),
        ['greet'],
      );
    } finally {
      await client.close();
    }
  });

  it('advertises the scopes of all of them in discovery, those declared next to a registration included', async () => {
    const metadata = (await (await fetch(running.urls.resourceMetadata)).json()) as { scopes_supported: string[] };
    assert.deepEqual([...metadata.scopes_supported].sort(), ['notes:read', 'prompts:greet', 'read:whoami']);
  });
});

describe('protect() with hideUnauthorized', () => {
  let issuer: TestIssuer;
  let running: RunningServer;
  before(async () => {
    issuer = await TestIssuer.start();
    running = await startProtected(issuer, { hideUnauthorized: true });
  });
  after(async () => {
    await running.close();
    await issuer.close();
  });

  it('leaves out of each list what the caller may not use, and shows it once the token has the scope', async () => {
    const lists = async (scope: string) => {
      const client = await connect(running.urls.resource, await issuer.token(running.urls.resource, { scope }));
      try {
        return {
          tools: (await client.listTools()).tools.map((t) => t.name).sort(),
          resources: (await client.listResources()).resources.map((r) => r.uri).sort(),
          templates: (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate),
          prompts: (await client.listPrompts()).prompts.map((p) => p.name),
        };
      } finally {
        await client.close();
      }
    };
    assert.deepEqual(await lists(''), { tools: ['add'], resources: ['notes://public'], templates: [], prompts: [] });
    assert.deepEqual(await lists('read:whoami notes:read prompts:greet'), {
      tools: ['add', 'whoami'],
      resources: ['notes://private', 'notes://public'],
      templates: ['notes://by-id/{id}'],
      prompts: ['greet'],
    });
  });

  it('still answers a hidden thing with 403 and its scope, so the client can step up', async () => {
    const response = await postMcp(
      running.urls.resource,
      await issuer.token(running.urls.resource, { scope: '' }),
      request('resources/read', { uri: 'notes://private' }),
      LEGACY,
    );
    assert.equal(response.status, 403);
    assert.equal(challengedScope(response), 'notes:read');
  });
});

describe('protect() given one McpServer instance', () => {
  const instance = notesServer();
  let issuer: TestIssuer;
  let running: RunningServer;
  before(async () => {
    issuer = await TestIssuer.start();
    running = await startProtected(issuer, { instance, scopeHierarchy: { admin: ['read:whoami', 'notes:read', 'prompts:greet'] } });
  });
  after(async () => {
    await running.close();
    await issuer.close();
  });

  it('serves many requests at once from the one instance, each with its own caller', async () => {
    const subjects = ['a', 'b', 'c', 'd', 'e', 'f'];
    const answers = await Promise.all(
      subjects.map(async (sub) => {
        const client = await connect(running.urls.resource, await issuer.token(running.urls.resource, { scope: 'read:whoami', sub }));
        try {
          return (await client.callTool({ name: 'whoami', arguments: {} })).content;
        } finally {
          await client.close();
        }
      }),
    );
    assert.deepEqual(
      answers,
      subjects.map((sub) => [{ type: 'text', text: sub }]),
    );
  });

  it('lists what is registered on the instance later, and no longer what is removed (list answers are kept per catalogue version)', async () => {
    const names = async () => {
      const client = await connect(running.urls.resource, await issuer.token(running.urls.resource, { scope: 'admin' }));
      try {
        return (await client.listTools()).tools.map((t) => t.name).sort();
      } finally {
        await client.close();
      }
    };
    assert.deepEqual(await names(), ['add', 'whoami']);
    const late = instance.registerTool('late', { description: 'registered after start' }, () => ({ content: [] }));
    assert.deepEqual(await names(), ['add', 'late', 'whoami']);
    late.disable();
    assert.deepEqual(await names(), ['add', 'whoami']);
    late.remove();
    assert.deepEqual(await names(), ['add', 'whoami']);
  });

  it('honours the scope hierarchy, in its own check and in the SDK check a registration declares', async () => {
    const client = await connect(running.urls.resource, await issuer.token(running.urls.resource, { scope: 'admin', sub: 'root' }));
    try {
      assert.deepEqual((await client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: 'root' }]);
      assert.equal(await readText(client, 'notes://private'), 'private notes of root');
    } finally {
      await client.close();
    }
  });
});
