import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

/** Run `gatehouse <args>`; it must exit 2 with exactly these lines on stderr: no stack, no banner, no log. */
async function refused(args: string[], lines: Array<string | RegExp>, env: Record<string, string> = {}) {
  const run = runCli(args, env);
  run.child.stdin.end();
  const code = await run.exited;
  assert.equal(code, 2, `${args.join(' ')}: ${run.stderr()}`);
  const printed = run.stderr().split('\n');
  assert.equal(printed.pop(), '', 'every line ends');
  assert.equal(printed.length, lines.length, run.stderr());
  for (const [i, line] of lines.entries()) {
    if (typeof line === 'string') assert.equal(printed[i], line);
    else assert.match(printed[i]!, line);
  }
  assert.equal(run.stdout(), '', 'nothing on stdout');
}

/** A port some other program holds. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'gh-operator-'));

const PUBLIC_URL = 'gatehouse: publicUrl (--public-url / GATEHOUSE_PUBLIC_URL)';

describe('operator mistakes: one line naming the flag and variable, what is wrong, and the fix; exit 2', () => {
  it('--public-url without http(s)', async () => {
    await refused(
      ['serve', '--public-url', 'ftp://mcp.example.com'],
      [`${PUBLIC_URL}: "ftp://mcp.example.com" uses ftp, but MCP clients connect over http or https: write https://mcp.example.com`],
    );
    await refused(['serve', '--public-url', 'localhost:8001'], [`${PUBLIC_URL}: "localhost:8001" has no http:// or https://: write http://localhost:8001`]);
    await refused(['serve'], [`${PUBLIC_URL}: "mcp.example.com" has no http:// or https://: write https://mcp.example.com`], {
      GATEHOUSE_PUBLIC_URL: 'mcp.example.com',
    });
    // Every command reads the same settings the same way.
    await refused(
      ['clients', 'add', '--preset', 'cursor', '--public-url', 'localhost:8001'],
      [`${PUBLIC_URL}: "localhost:8001" has no http:// or https://: write http://localhost:8001`],
    );
  });

  it('a plain-http public URL off loopback for the embedded authorization server', async () => {
    await refused(
      ['serve', '--public-url', 'http://mcp.example.com', '--port', '0', '--data-dir', dataDir()],
      [
        `${PUBLIC_URL}: the authorization server must be reached over https, not http://mcp.example.com: set it to the https address clients use (behind a TLS proxy, that one); plain http is only for localhost`,
      ],
    );
  });

  it('a store URL of an unknown kind, and a GATEHOUSE_SECRET too short to seal keys with', async () => {
    await refused(
      ['users', 'list', '--store', 'mysql://db.example.com/gatehouse', '--data-dir', dataDir()],
      [
        'gatehouse: store (--store / GATEHOUSE_STORE): unsupported URL scheme "mysql:"; supported: memory:, sqlite:, redis:, rediss:, postgres:, postgresql: or a file path',
      ],
    );
    await refused(
      ['serve', '--store', 'redis://127.0.0.1:6379/15', '--port', '0'],
      ['gatehouse: GATEHOUSE_SECRET has 3 characters; it needs 32 or more: generate one with `openssl rand -base64 32`'],
      { GATEHOUSE_SECRET: 'abc' },
    );
  });

  it('--public-url that already ends with the MCP path is refused with the base URL to give', async () => {
    await refused(
      ['serve', '--public-url', 'https://mcp.example.com/mcp'],
      [
        `${PUBLIC_URL}: "https://mcp.example.com/mcp" ends with the MCP path /mcp, which Gatehouse adds to it (MCP would be at https://mcp.example.com/mcp/mcp): give the server's base URL, https://mcp.example.com, and clients connect to https://mcp.example.com/mcp`,
      ],
    );
    await refused(
      ['serve', '--public-url', 'https://example.com/team/rpc/', '--mcp-path', '/rpc'],
      [
        `${PUBLIC_URL}: "https://example.com/team/rpc/" ends with the MCP path /rpc, which Gatehouse adds to it (MCP would be at https://example.com/team/rpc/rpc): give the server's base URL, https://example.com/team, and clients connect to https://example.com/team/rpc`,
      ],
    );
  });

  it('a port in use names --port and GATEHOUSE_PORT, and offers a free one', async () => {
    const { port, server } = await occupiedPort();
    try {
      await refused(
        ['serve', '--port', String(port), '--data-dir', dataDir()],
        [
          new RegExp(
            `^gatehouse: port \\(--port / GATEHOUSE_PORT\\): ${port} on 127\\.0\\.0\\.1 is already in use by another program: stop it, or choose another port, e\\.g\\. --port \\d+ \\(free now\\), or --port 0 for any free port$`,
          ),
        ],
      );
      await refused(
        ['serve', '--port', '0', '--metrics-port', String(port), '--data-dir', dataDir()],
        [
          new RegExp(
            `^gatehouse: metricsPort \\(--metrics-port / GATEHOUSE_METRICS_PORT\\): ${port} on 127\\.0\\.0\\.1 is already in use .* --metrics-port 0 for any free port$`,
          ),
        ],
      );
    } finally {
      server.close();
    }
  });

  it('an address that is not this machine names --host', async () => {
    await refused(
      ['serve', '--port', '0', '--host', '192.0.2.1', '--data-dir', dataDir()],
      [
        'gatehouse: host (--host / GATEHOUSE_HOST): 192.0.2.1 is not an address of this machine: bind 127.0.0.1 (this machine only), 0.0.0.0 (every IPv4 interface) or :: (every interface)',
      ],
    );
  });

  it('an --event that names no event type or family is refused with the known ones (not "no matching events")', async () => {
    const known =
      /^gatehouse: --event: "bogus" is not an event type or family: give one of login, setup, consent, client, token, grant, assertion, tool, account, keys, audit \(a family\) or login\.succeeded, .*token\.issued, .*account\.removed, .*audit\.exported$/;
    await refused(['audit', '--event', 'bogus', '--data-dir', dataDir()], [known]);
    // A type of a family, not the family's prefix of a type: `log` is no family.
    await refused(['audit', '--event', 'log', '--data-dir', dataDir()], [/^gatehouse: --event: "log" is not an event type or family: /]);
  });

  it('a token for a scope the server does not declare is refused, naming --scope, the unknown scopes and those that exist', async () => {
    const user = ['token', '--user', 'ada@example.com', '--data-dir', dataDir()];
    await refused(
      [...user, '--scope', 'read:whoami admin:all'],
      [
        `gatehouse: --scope: "admin:all" is not a scope this server declares for its MCP resource: choose from read:whoami (its tools' scopes and --required-scopes)`,
      ],
    );
    await refused(
      [...user, '--scope', 'openid delete:everything'],
      [
        `gatehouse: --scope: "openid", "delete:everything" are not scopes this server declares for its MCP resource (OpenID scopes are for sign-in, not for access tokens): choose from read:whoami (its tools' scopes and --required-scopes)`,
      ],
    );
    // Required scopes are the server's too, from the flag or the environment like every setting.
    const required = /: choose from mcp:use, read:whoami \(its tools' scopes and --required-scopes\)$/;
    await refused([...user, '--scope', 'admin', '--required-scopes', 'mcp:use'], [required]);
    await refused([...user, '--scope', 'admin'], [required], { GATEHOUSE_REQUIRED_SCOPES: 'mcp:use' });
  });

  it('a --public-key-file that is missing or holds no key names the flag, instead of a raw error', async () => {
    const dir = dataDir();
    const key = 'gatehouse: publicKeyFile (--public-key-file / GATEHOUSE_PUBLIC_KEY_FILE)';
    const fix = "give the file holding the issuer's public key: PEM, a JWK or a JWKS";
    const resource = ['serve', '--port', '0', '--data-dir', dir, '--mode', 'resource', '--issuer', 'https://auth.example.com', '--public-key-file'];
    await refused([...resource, join(dir, 'missing.pem')], [`${key}: ${join(dir, 'missing.pem')} cannot be read (ENOENT): ${fix}`]);
    writeFileSync(join(dir, 'garbage.pem'), 'not a key\n');
    await refused(
      [...resource, join(dir, 'garbage.pem')],
      [new RegExp(`^${literal(key)}: ${literal(join(dir, 'garbage.pem'))} holds no public key that can be read \\(.+\\): ${literal(fix)}$`)],
    );
    writeFileSync(join(dir, 'broken.json'), '{"kty": \n');
    await refused([...resource, join(dir, 'broken.json')], [`${key}: ${join(dir, 'broken.json')} starts like JSON but is not JSON: ${fix}`]);
  });
});

/** Text to match as itself inside a RegExp. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
