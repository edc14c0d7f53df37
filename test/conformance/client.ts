/**
 * The driver the official conformance runner calls for its client scenarios:
 * `npx --no-install conformance client --command "npx tsx test/conformance/client.ts" --requirements <revision>`.
 * The runner appends the scenario's server URL and names the scenario (and its credentials) in
 * MCP_CONFORMANCE_SCENARIO / MCP_CONFORMANCE_CONTEXT; this reads them and drives Gatehouse's client library,
 * which reads no test variables itself. Exits non-zero when the client refuses or fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, FetchLike } from '@modelcontextprotocol/client';
// The client module alone, not the whole package: the runner starts dozens of these at once.
import { type ConnectOptions, connect } from '../../src/client/connect/connect.js';

/** The Client ID Metadata Document URL the suite's CIMD scenario expects a client to offer. */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

interface Context {
  client_id?: string;
  client_secret?: string;
  private_key_pem?: string;
  signing_algorithm?: string;
  idp_client_id?: string;
  idp_id_token?: string;
  idp_token_endpoint?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
}

/**
 * The person at the browser, for an authorization server that answers at once: follow its redirect to the
 * loopback redirect URI, where Gatehouse's listener takes the code.
 */
async function followRedirects(url: URL): Promise<void> {
  let next: string | null = url.href;
  for (let hop = 0; next && hop < 5; hop++) {
    const response: Response = await fetch(next, { redirect: 'manual' });
    await response.body?.cancel();
    next = response.headers.get('location') && new URL(response.headers.get('location')!, next).href;
  }
}

/**
 * Some scenario servers implement neither `server/discover` nor a 2026-era `initialize`, only the calls they
 * measure: answer the connect-time probe here so the 2026-07-28 era is established with them.
 */
function answeringDiscover(): FetchLike {
  return async (input, init) => {
    const message = typeof init?.body === 'string' ? (JSON.parse(init.body) as { method?: string; id?: unknown }) : {};
    if (message.method !== 'server/discover') return fetch(input, init);
    return Response.json({
      jsonrpc: '2.0',
      id: message.id,
      result: {
        supportedVersions: ['2026-07-28'],
        capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} },
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'conformance-scenario', version: '1.0.0' } },
      },
    });
  };
}

async function callEach(client: Client, names: string[], args: Record<string, unknown> = {}): Promise<void> {
  for (const name of names) await client.callTool({ name, arguments: args });
}

/** What each scenario needs from the client once connected; the default lists the tools and calls the scenario's own. */
const EXERCISES: Record<string, (client: Client, context: Context) => Promise<void>> = {
  'sse-retry': (client) => callEach(client, ['test_reconnection']),
  'elicitation-sep1034-client-defaults': async (client) => {
    // Accept with nothing filled in: the SDK applies the schema's defaults.
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: {} }));
    await callEach(client, ['test_client_elicitation_defaults']);
  },
  'sep-2322-client-request-state': async (client) => {
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { confirmed: true } }));
    await callEach(client, ['test_mrtr_echo_state', 'test_mrtr_no_state', 'test_mrtr_unrelated']);
    // A result without resultType is refused locally, which is what the scenario checks (no retry).
    await client.callTool({ name: 'test_mrtr_no_result_type', arguments: {} }).catch(() => {});
  },
  'http-standard-headers': async (client) => {
    const [tool] = (await client.listTools()).tools;
    if (tool) await client.callTool({ name: tool.name, arguments: {} });
    const [resource] = (await client.listResources()).resources;
    if (resource) await client.readResource({ uri: resource.uri });
    const [prompt] = (await client.listPrompts()).prompts;
    if (prompt) await client.getPrompt({ name: prompt.name, arguments: {} });
  },
  'http-custom-headers': async (client, context) => {
    await client.listTools();
    for (const call of context.toolCalls ?? []) await client.callTool(call);
  },
  'http-invalid-tool-headers': async (client) => {
    for (const tool of (await client.listTools()).tools) {
      await client.callTool({ name: tool.name, arguments: { region: 'us-west1' } }).catch(() => {});
    }
  },
  'json-schema-2020-12-preservation': async (client) => {
    const focal = (await client.listTools()).tools.find((t) => t.name === 'json_schema_2020_12_tool');
    if (!focal) throw new Error('json_schema_2020_12_tool is not listed');
    await client.callTool({ name: 'json_schema_echo', arguments: { schema: focal.inputSchema } });
  },
};

async function defaultExercise(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  const names = new Set(tools.map((t) => t.name));
  if (names.has('add_numbers')) await client.callTool({ name: 'add_numbers', arguments: { a: 5, b: 3 } });
  if (names.has('test-tool')) await client.callTool({ name: 'test-tool', arguments: {} });
}

/** Gatehouse's client options for a scenario: how it registers and authenticates, and which era it speaks. */
function optionsFor(scenario: string, context: Context, configDir: string): ConnectOptions {
  const modern = process.env['MCP_CONFORMANCE_PROTOCOL_VERSION'] === '2026-07-28';
  const options: ConnectOptions = {
    configDir,
    openBrowser: followRedirects,
    clientMetadataUrl: CLIENT_METADATA_URL,
    versionNegotiation: { mode: modern ? 'auto' : 'legacy' },
    capabilities: scenario.startsWith('elicitation') || scenario.startsWith('sep-2322') ? { elicitation: { form: { applyDefaults: true } } } : {},
  };
  if (scenario.startsWith('http-') || scenario === 'sep-2322-client-request-state') {
    options.fetch = answeringDiscover();
    options.versionNegotiation = { mode: 'auto' };
  }
  if (scenario === 'auth/pre-registration') Object.assign(options, { clientId: context.client_id, clientSecret: context.client_secret });
  if (scenario === 'auth/client-credentials-basic') options.clientCredentials = { clientId: context.client_id!, clientSecret: context.client_secret! };
  if (scenario === 'auth/client-credentials-jwt') {
    options.clientCredentials = { clientId: context.client_id!, privateKey: context.private_key_pem!, algorithm: context.signing_algorithm };
  }
  if (scenario === 'auth/enterprise-managed-authorization') {
    options.enterprise = {
      clientId: context.client_id!,
      clientSecret: context.client_secret!,
      idpTokenEndpoint: context.idp_token_endpoint!,
      idToken: context.idp_id_token!,
      idpClientId: context.idp_client_id!,
    };
  }
  if (scenario.startsWith('auth/dpop')) options.dpop = true;
  return options;
}

async function main(): Promise<void> {
  const url = process.argv.at(-1);
  const scenario = process.env['MCP_CONFORMANCE_SCENARIO'];
  if (!url || !scenario) throw new Error('run by the conformance runner: MCP_CONFORMANCE_SCENARIO=<scenario> client.ts <server-url>');
  const context = JSON.parse(process.env['MCP_CONFORMANCE_CONTEXT'] ?? '{}') as Context;
  // Each scenario is a new client: nothing stored by an earlier one.
  const configDir = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-client-'));
  try {
    const connection = await connect(url, optionsFor(scenario, context, configDir));
    try {
      await (EXERCISES[scenario] ?? defaultExercise)(connection.client, context);
    } finally {
      await connection.close();
    }
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  process.stderr.write(`conformance client: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
