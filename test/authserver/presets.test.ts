import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { PRESETS, findPreset, presetNames, serverName, shellQuote } from '../../src/authserver/clients/presets.js';
import { checkRedirectUri, checkRedirectUris, compilePattern, type RedirectPolicy } from '../../src/authserver/clients/redirect-policy.js';

const ANY: RedirectPolicy = { mode: 'any-safe' };
const MCP_URL = 'https://mcp.example.com/mcp';
const CLIENT_ID = 'gh_client_0123456789abcdef';

/** Concrete URIs a client would really register for a pattern: a run-time port, a minted callback id. */
function concrete(pattern: string): string[] {
  if (pattern.includes(':*')) return [pattern.replace(':*', ':3118'), pattern.replace(':*', '')];
  if (pattern.endsWith('/*')) return [pattern.replace(/\*$/, 'FLLrQdlez6Uf')];
  return [pattern];
}

describe('client presets', () => {
  it('lists the clients people use, with unique ids', () => {
    assert.deepEqual(presetNames(), ['claude', 'claude-code', 'chatgpt', 'cursor', 'vscode', 'mcp-inspector', 'mcp-remote']);
    assert.equal(new Set(presetNames()).size, PRESETS.length);
    assert.equal(findPreset('cursor')?.displayName, 'Cursor');
    assert.equal(findPreset('nope'), undefined);
  });

  for (const preset of PRESETS) {
    describe(preset.name, () => {
      const uris = preset.redirectUris.flatMap(concrete);

      it('has well-formed patterns', () => {
        for (const pattern of preset.redirectUris) assert.doesNotThrow(() => compilePattern(pattern), pattern);
      });

      it(`its redirect URIs pass the policy as a ${preset.applicationType} client, in both modes`, () => {
        for (const policy of [ANY, { mode: 'allowlist' } as RedirectPolicy, { mode: 'allowlist', presets: [preset.name] } as RedirectPolicy]) {
          for (const uri of uris) assert.deepEqual(checkRedirectUri(uri, policy, preset.applicationType), { ok: true }, `${uri} (${policy.mode})`);
          assert.deepEqual(checkRedirectUris(uris, preset.applicationType, policy), { ok: true, applicationType: preset.applicationType });
        }
      });

      it('registering without application_type infers the preset type', () => {
        // Many MCP clients omit application_type; the inference must land where the preset says.
        assert.deepEqual(checkRedirectUris(uris, undefined, ANY), { ok: true, applicationType: preset.applicationType });
      });

      it('public clients are native or declare no secret; web clients use https only', () => {
        assert.ok(['none', 'client_secret_post', 'client_secret_basic'].includes(preset.tokenEndpointAuthMethod));
        if (preset.applicationType === 'web') for (const uri of uris) assert.match(uri, /^https:\/\//);
      });

      it('its config snippet contains the MCP URL and the client id', () => {
        const snippet = preset.configSnippet(MCP_URL, CLIENT_ID);
        assert.ok(snippet.includes(MCP_URL), snippet);
        assert.ok(snippet.includes(CLIENT_ID), snippet);
        assert.ok(preset.configLocation.length > 0);
      });

      it('escapes awkward ids and URLs instead of breaking the snippet', () => {
        const id = `it's "odd" $(id)`;
        const url = 'https://mcp.example.com/mcp?tenant=a&x=1';
        const snippet = preset.configSnippet(url, id);
        if (snippet.trimStart().startsWith('{')) {
          const text = JSON.stringify(JSON.parse(snippet));
          assert.ok(text.includes(JSON.stringify(url)) && text.includes(JSON.stringify(id)), snippet);
        } else if (/^(claude|npx) /.test(snippet)) {
          // Let a real shell split the command: the id and URL must come out as whole, literal words.
          const words = execFileSync('bash', ['-c', `set -- ${snippet}; printf '%s\\0' "$@"`], { encoding: 'utf8' }).split('\0');
          assert.ok(words.includes(url), snippet);
          assert.ok(words.includes(id) || words.includes(JSON.stringify({ client_id: id })), snippet);
        }
      });
    });
  }

  it('Claude is the claude.ai/claude.com callback, a confidential web client', () => {
    const claude = findPreset('claude')!;
    assert.deepEqual(claude.redirectUris, ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback']);
    assert.equal(claude.tokenEndpointAuthMethod, 'client_secret_post');
    assert.match(claude.configSnippet(MCP_URL, CLIENT_ID, 's3cret'), /OAuth Client Secret: s3cret/);
    assert.match(claude.configSnippet(MCP_URL, CLIENT_ID), /OAuth Client Secret: <client secret/);
  });

  it('Claude Code gets the claude mcp add command', () => {
    assert.equal(
      findPreset('claude-code')!.configSnippet(MCP_URL, CLIENT_ID),
      `claude mcp add --transport http --client-id ${CLIENT_ID} mcp-example-com ${MCP_URL}`,
    );
  });

  it('Cursor gets .cursor/mcp.json with a static client', () => {
    assert.deepEqual(JSON.parse(findPreset('cursor')!.configSnippet(MCP_URL, CLIENT_ID)), {
      mcpServers: { 'mcp-example-com': { url: MCP_URL, auth: { CLIENT_ID } } },
    });
  });

  it('VS Code gets .vscode/mcp.json with "type": "http" and an oauth client id', () => {
    assert.deepEqual(JSON.parse(findPreset('vscode')!.configSnippet(MCP_URL, CLIENT_ID)), {
      servers: { 'mcp-example-com': { type: 'http', url: MCP_URL, oauth: { clientId: CLIENT_ID } } },
    });
  });

  it('mcp-remote gets the npx command with a pinned port and static client info', () => {
    const snippet = findPreset('mcp-remote')!.configSnippet(MCP_URL, CLIENT_ID);
    assert.equal(snippet, `npx mcp-remote ${MCP_URL} 3334 --static-oauth-client-info '{"client_id":"${CLIENT_ID}"}'`);
    assert.ok(checkRedirectUri('http://localhost:3334/oauth/callback', { mode: 'allowlist', presets: ['mcp-remote'] }, 'native').ok);
  });

  it('the Inspector gets what to enter in its server settings', () => {
    const snippet = findPreset('mcp-inspector')!.configSnippet(MCP_URL, CLIENT_ID);
    assert.match(snippet, /Transport: Streamable HTTP/);
    assert.match(snippet, new RegExp(`URL: ${MCP_URL}`));
    assert.match(snippet, new RegExp(`Client ID: ${CLIENT_ID}`));
  });

  it('ChatGPT accepts per-connector callbacks, one segment only', () => {
    const only: RedirectPolicy = { mode: 'allowlist', presets: ['chatgpt'] };
    assert.ok(checkRedirectUri('https://chatgpt.com/connector/oauth/OUbdUMlL15Ct', only, 'web').ok);
    assert.equal(checkRedirectUri('https://chatgpt.com/connector/oauth/a/b', only, 'web').ok, false);
    assert.equal(checkRedirectUri('https://chatgpt.com.evil.example/connector/oauth/x', only, 'web').ok, false);
  });

  it('names the server after the MCP host and quotes shell arguments', () => {
    assert.equal(serverName('https://mcp.example.com/mcp'), 'mcp-example-com');
    assert.equal(serverName('http://127.0.0.1:8000/mcp'), '127-0-0-1');
    assert.equal(serverName('not a url'), 'mcp');
    assert.equal(shellQuote('abc-123'), 'abc-123');
    assert.equal(shellQuote(`a'b c`), `'a'\\''b c'`);
    assert.equal(shellQuote('$(id)'), `'$(id)'`);
  });
});
