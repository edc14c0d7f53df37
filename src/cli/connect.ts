import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { bridge } from '../client/connect/bridge.js';
import { CONFIG_DIR_ENV } from '../client/connect/config-dir.js';
import { type ConnectOptions, connect } from '../client/connect/connect.js';
import { ConfigError } from '../config/load.js';
import { readPackageJson } from './package-json.js';

/** A client secret on the command line shows in `ps`: it may come from this variable instead. */
export const CLIENT_SECRET_ENV = 'GATEHOUSE_CONNECT_CLIENT_SECRET';

/** What `gatehouse connect` was asked to do: bridge stdio (the default), or one scripted request. */
export type ConnectAction =
  | { kind: 'bridge' }
  | { kind: 'list' }
  | { kind: 'call'; tool: string; args: Record<string, unknown> }
  | { kind: 'read'; uri: string };

export function connectCommand(program: Command): void {
  program
    .command('connect')
    .description(
      'an authenticated MCP client: with no action, a stdio bridge for an MCP client without OAuth; ' +
        'with --list, --call or --read, one request whose result is printed as JSON',
    )
    .argument('<mcp-url>', 'the MCP server, e.g. https://mcp.example.com/mcp')
    .option('--list', "print the server's tools, resources and prompts")
    .option('--call <tool>', 'call a tool and print its result')
    .option('--args <json>', 'with --call: the arguments, a JSON object', '{}')
    .option('--read <uri>', 'read a resource and print it')
    .option('--no-browser', 'print the authorization URL instead of opening a browser')
    .option('--scope <scopes>', "space-separated scopes to ask for (default: those the server's challenge or metadata name)")
    .option('--client-id <id>', 'a client registered beforehand with the authorization server (otherwise a metadata document URL or dynamic registration)')
    .option('--client-secret <secret>', `that client's secret (or ${CLIENT_SECRET_ENV})`)
    .option('--client-metadata-url <url>', "the https URL of this client's metadata document, used as its client_id where the server accepts one")
    .option('--issuer <url>', 'the authorization server the client credentials belong to: they are sent to no other')
    .option('--client-credentials', 'the client_credentials grant, no person or browser: needs --client-id and a secret or --private-key')
    .option('--private-key <file>', 'with --client-credentials: a PEM private key, for private_key_jwt client authentication')
    .option('--signing-alg <alg>', 'with --private-key: the JWS algorithm', 'ES256')
    .option('--dpop', 'ask for DPoP-bound tokens and prove possession of the key on every request')
    .option('--config-dir <dir>', `where tokens and registrations are kept (default $${CONFIG_DIR_ENV}, $XDG_CONFIG_HOME/gatehouse or ~/.config/gatehouse)`)
    .action(async (url: string, options: Record<string, unknown>) => runConnect(url, options));
}

/** The action the flags ask for; an impossible combination is the operator's mistake. */
export function connectAction(options: Record<string, unknown>): ConnectAction {
  const chosen = (['list', 'call', 'read'] as const).filter((flag) => options[flag] !== undefined);
  if (chosen.length > 1) throw new ConfigError([`--${chosen.join(' and --')} cannot be combined: give one of --list, --call, --read`]);
  if (options['args'] !== '{}' && options['call'] === undefined) throw new ConfigError(['--args goes with --call <tool>']);
  if (options['call'] !== undefined) return { kind: 'call', tool: String(options['call']), args: jsonObject(String(options['args'])) };
  if (options['read'] !== undefined) return { kind: 'read', uri: String(options['read']) };
  return options['list'] ? { kind: 'list' } : { kind: 'bridge' };
}

function jsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError([`--args is not JSON: give the tool's arguments as a JSON object, e.g. --args '{"name":"ada"}'`]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(['--args must be a JSON object, e.g. {"name":"ada"}']);
  return value as Record<string, unknown>;
}

/** The library options the flags (and environment) stand for. */
export function connectOptions(url: string, options: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ConnectOptions {
  try {
    const protocol = new URL(url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError([`<mcp-url> ${JSON.stringify(url)} is not an http(s) URL; give the MCP server's URL, e.g. https://mcp.example.com/mcp`]);
  }
  const clientId = options['clientId'] as string | undefined;
  const clientSecret = (options['clientSecret'] as string | undefined) ?? env[CLIENT_SECRET_ENV];
  const privateKeyFile = options['privateKey'] as string | undefined;
  if (clientSecret !== undefined && clientId === undefined) throw new ConfigError([`a client secret needs its --client-id`]);
  if (privateKeyFile !== undefined && !options['clientCredentials']) throw new ConfigError(['--private-key goes with --client-credentials']);
  const metadataUrl = options['clientMetadataUrl'] as string | undefined;
  if (metadataUrl !== undefined && !/^https:\/\/[^/]+\/./.test(metadataUrl)) {
    throw new ConfigError(['--client-metadata-url must be an https URL with a path, e.g. https://app.example.com/client.json']);
  }
  const result: ConnectOptions = {
    clientInfo: { name: 'gatehouse-connect', version: readPackageJson().version },
    configDir: (options['configDir'] as string | undefined) ?? undefined,
    openBrowser: options['browser'] !== false,
    scope: options['scope'] as string | undefined,
    issuer: options['issuer'] as string | undefined,
    clientMetadataUrl: metadataUrl,
    dpop: options['dpop'] === true,
  };
  if (!options['clientCredentials']) return { ...result, clientId, clientSecret };
  if (clientId === undefined) throw new ConfigError(['--client-credentials needs --client-id']);
  if (privateKeyFile !== undefined) {
    return { ...result, clientCredentials: { clientId, privateKey: readKey(privateKeyFile), algorithm: String(options['signingAlg']) } };
  }
  if (clientSecret === undefined) throw new ConfigError([`--client-credentials needs --client-secret (or ${CLIENT_SECRET_ENV}) or --private-key <file>`]);
  return { ...result, clientCredentials: { clientId, clientSecret } };
}

function readKey(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`--private-key ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}

/** `gatehouse connect`: stdout carries only the protocol (bridge) or the JSON result; everything else goes to stderr. */
export async function runConnect(url: string, options: Record<string, unknown>): Promise<void> {
  const action = connectAction(options);
  const settings = connectOptions(url, options);
  if (action.kind === 'bridge') return bridge(url, settings);
  const { client, close } = await connect(url, settings);
  try {
    const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    if (action.kind === 'list') {
      const offered = client.getServerCapabilities() ?? {};
      print({
        tools: (await client.listTools()).tools,
        ...(offered.resources && { resources: (await client.listResources()).resources }),
        ...(offered.prompts && { prompts: (await client.listPrompts()).prompts }),
      });
    } else if (action.kind === 'call') {
      const result = await client.callTool({ name: action.tool, arguments: action.args });
      print(result);
      if (result.isError) process.exitCode = 1;
    } else {
      print(await client.readResource({ uri: action.uri }));
    }
  } finally {
    await close();
  }
}
