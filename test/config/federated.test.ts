import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { admissionOptions, upstreamFromConfig } from '../../src/config/build.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { cannedServer, discoveryDocument } from '../helpers/canned-http.js';
import { runCli } from '../helpers/cli.js';

const CREDENTIALS = { GATEHOUSE_UPSTREAM_CLIENT_ID: 'app-id', GATEHOUSE_UPSTREAM_CLIENT_SECRET: 'app-secret' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ env, cwd: tmpdir() });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('federated mode configuration', () => {
  it('needs a provider and the app credentials, naming where each comes from', () => {
    const found = problems({ GATEHOUSE_MODE: 'federated' });
    assert.ok(
      found.some((p) => p.startsWith('upstream (--upstream / GATEHOUSE_UPSTREAM): federated mode needs --upstream github|google|microsoft|auth0|oidc')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.startsWith('upstreamClientId (--upstream-client-id / GATEHOUSE_UPSTREAM_CLIENT_ID)')),
      found.join('\n'),
    );
    // The secret is never a flag: it would show in `ps`.
    assert.ok(
      found.some((p) => p.startsWith('upstreamClientSecret (GATEHOUSE_UPSTREAM_CLIENT_SECRET)')),
      found.join('\n'),
    );
  });

  it('needs the issuer for oidc and auth0, and the tenant for microsoft', () => {
    for (const upstream of ['oidc', 'auth0']) {
      const found = problems({ GATEHOUSE_MODE: 'federated', GATEHOUSE_UPSTREAM: upstream, ...CREDENTIALS });
      assert.ok(
        found.some((p) => p.startsWith('upstreamIssuer (--upstream-issuer / GATEHOUSE_UPSTREAM_ISSUER)')),
        found.join('\n'),
      );
    }
    const found = problems({ GATEHOUSE_MODE: 'federated', GATEHOUSE_UPSTREAM: 'microsoft', ...CREDENTIALS });
    assert.ok(
      found.some((p) => p.startsWith('upstreamTenant')),
      found.join('\n'),
    );
  });

  it('refuses a provider over plain http, except on this machine', () => {
    const found = problems({ GATEHOUSE_MODE: 'federated', GATEHOUSE_UPSTREAM: 'oidc', GATEHOUSE_UPSTREAM_ISSUER: 'http://login.example.com', ...CREDENTIALS });
    assert.ok(
      found.some((p) => /^upstreamIssuer .*must use https/.test(p)),
      found.join('\n'),
    );
    const local = loadConfig({
      env: { GATEHOUSE_MODE: 'federated', GATEHOUSE_UPSTREAM: 'oidc', GATEHOUSE_UPSTREAM_ISSUER: 'http://localhost:9999', ...CREDENTIALS },
      cwd: tmpdir(),
    });
    assert.equal(local.upstreamIssuer, 'http://localhost:9999');
  });

  it('builds each preset from the settings', () => {
    const config = (env: Record<string, string>) => loadConfig({ env: { GATEHOUSE_MODE: 'federated', ...CREDENTIALS, ...env }, cwd: tmpdir() });
    assert.deepEqual(
      [
        upstreamFromConfig(config({ GATEHOUSE_UPSTREAM: 'github' })),
        upstreamFromConfig(config({ GATEHOUSE_UPSTREAM: 'google' })),
        upstreamFromConfig(config({ GATEHOUSE_UPSTREAM: 'microsoft', GATEHOUSE_UPSTREAM_TENANT: 'contoso.onmicrosoft.com' })),
        upstreamFromConfig(config({ GATEHOUSE_UPSTREAM: 'auth0', GATEHOUSE_UPSTREAM_ISSUER: 'https://example.us.auth0.com/' })),
        upstreamFromConfig(config({ GATEHOUSE_UPSTREAM: 'oidc', GATEHOUSE_UPSTREAM_ISSUER: 'https://login.example.com' })),
      ].map((s) => [s.name, s.label]),
      [
        ['github', 'GitHub'],
        ['google', 'Google'],
        ['microsoft', 'Microsoft'],
        ['auth0', 'Auth0'],
        ['oidc', 'login.example.com'],
      ],
    );
    assert.throws(() => upstreamFromConfig(config({ GATEHOUSE_UPSTREAM: 'microsoft', GATEHOUSE_UPSTREAM_TENANT: 'common' })), /tenant id or domain/);
  });

  it('`gatehouse serve --mode federated` with no admission policy exits 2 with one line naming the options', async () => {
    const run = runCli(['serve', '--mode', 'federated', '--upstream', 'github', '--port', '0'], CREDENTIALS);
    assert.equal(await run.exited, 2);
    const problems = run.stderr().split('\n').filter(Boolean);
    assert.equal(problems.length, 1, run.stderr());
    assert.match(
      problems[0]!,
      /^gatehouse: federated mode admits nobody until you say whom: set --admit-users, --admit-github-orgs, --admit-github-teams, --admit-hosted-domains, --admit-tenants, --admit-email-domains or --admit-existing-accounts \(or --dangerously-allow-any-upstream-account/,
    );
    assert.doesNotMatch(run.stdout() + run.stderr(), /Listening on/);
  });

  it('`--dangerously-allow-any-upstream-account` starts, with a loud warning', async () => {
    // A provider that publishes its discovery document (its sign-in page cannot be reached: that only warns).
    const provider = await cannedServer({ body: (origin) => discoveryDocument(`${origin}/`) });
    const host = new URL(provider.origin).host;
    const args = [
      'serve',
      '--mode',
      'federated',
      '--upstream',
      'oidc',
      '--upstream-issuer',
      provider.origin,
      '--port',
      '0',
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'gatehouse-open-')),
    ];
    const run = runCli([...args, '--dangerously-allow-any-upstream-account'], CREDENTIALS);
    try {
      await run.waitFor(/Listening on/, 30_000);
      assert.match(run.stdout(), new RegExp(`DANGER: anyone with an account at ${host.replaceAll('.', '\\.')} can sign in and get tokens`));
    } finally {
      await run.stop();
      await provider.close();
    }
  });

  it('takes the admission settings from flags and variables, asks GitHub for read:org when organisations decide, and checks they fit the provider', () => {
    const config = (env: Record<string, string>) => loadConfig({ env: { GATEHOUSE_MODE: 'federated', ...CREDENTIALS, ...env }, cwd: tmpdir() });
    const byOrg = config({ GATEHOUSE_UPSTREAM: 'github', GATEHOUSE_ADMIT_GITHUB_ORGS: 'acme, umbrella', GATEHOUSE_ADMIT_USERS: 'octocat,583231' });
    assert.deepEqual(admissionOptions(byOrg).admit?.githubOrgs, ['acme', 'umbrella']);
    assert.deepEqual(admissionOptions(byOrg).admit?.users, ['octocat', '583231']);
    assert.ok(upstreamFromConfig(byOrg).scopes?.includes('read:org'));
    assert.ok(!upstreamFromConfig(config({ GATEHOUSE_UPSTREAM: 'github', GATEHOUSE_ADMIT_USERS: 'octocat' })).scopes?.includes('read:org'));
    const wrong = problems({ GATEHOUSE_MODE: 'federated', GATEHOUSE_UPSTREAM: 'google', GATEHOUSE_ADMIT_GITHUB_ORGS: 'acme', ...CREDENTIALS });
    assert.ok(
      wrong.some((p) => p.startsWith('admitGithubOrgs (--admit-github-orgs / GATEHOUSE_ADMIT_GITHUB_ORGS): needs --upstream github')),
      wrong.join('\n'),
    );
    const both = problems({
      GATEHOUSE_MODE: 'federated',
      GATEHOUSE_UPSTREAM: 'google',
      GATEHOUSE_ADMIT_HOSTED_DOMAINS: 'acme.example',
      GATEHOUSE_DANGEROUSLY_ALLOW_ANY_UPSTREAM_ACCOUNT: 'true',
      ...CREDENTIALS,
    });
    assert.ok(
      both.some((p) => p.startsWith('dangerouslyAllowAnyUpstreamAccount')),
      both.join('\n'),
    );
    const teams = problems({ GATEHOUSE_MODE: 'federated', GATEHOUSE_UPSTREAM: 'github', GATEHOUSE_ADMIT_GITHUB_TEAMS: 'platform', ...CREDENTIALS });
    assert.ok(
      teams.some((p) => p.startsWith('admitGithubTeams')),
      teams.join('\n'),
    );
  });

  it('`gatehouse serve --mode federated` without credentials exits 2 and says which variable to set', async () => {
    const run = runCli(['serve', '--mode', 'federated', '--upstream', 'github', '--port', '0']);
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /GATEHOUSE_UPSTREAM_CLIENT_ID/);
    assert.match(run.stderr(), /GATEHOUSE_UPSTREAM_CLIENT_SECRET/);
  });
});
