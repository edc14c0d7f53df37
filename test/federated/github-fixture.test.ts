import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startGitHubFixture, type GitHubFixture } from '../helpers/github-fixture.js';

// The fixture's self-test: the quirks that the OAuth proxy tests rely on behave as GitHub's do.

const CLIENT_ID = 'Iv1.0123456789abcdef';
const CLIENT_SECRET = 'fixture-secret';
const CALLBACK = 'http://127.0.0.1:9/oauth/github/callback';
const OCTOCAT = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  email: null,
  emails: [{ email: 'octocat@example.test', primary: true, verified: true, visibility: 'private' }],
  repos: [{ name: 'hello-world' }, { name: 'secret-plans', private: true, description: 'shh' }, { name: 'spoon-knife' }],
};

let github: GitHubFixture;
let expiring: GitHubFixture;

before(async () => {
  github = await startGitHubFixture({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  github.setCallbackUrl(CALLBACK);
  expiring = await startGitHubFixture({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, callbackUrl: CALLBACK, expiringTokens: true });
  for (const fixture of [github, expiring]) {
    fixture.addUser(OCTOCAT);
    fixture.addUser({ id: 2, login: 'hubot' });
  }
});

after(async () => {
  await github.close();
  await expiring.close();
});

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

function authorizeUrl(fixture: GitHubFixture, params: Record<string, string> = {}): string {
  const url = new URL('/login/oauth/authorize', fixture.url);
  for (const [name, value] of Object.entries({ client_id: CLIENT_ID, redirect_uri: CALLBACK, state: 'st', scope: 'read:user', ...params })) {
    url.searchParams.set(name, value);
  }
  return url.href;
}

/** Submit the authorize form as the browser would: every hidden field, plus the login and the decision. */
async function submitForm(fixture: GitHubFixture, html: string, login: string, decision = 'authorize'): Promise<Response> {
  const form = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.set(unescapeHtml(name!), unescapeHtml(value!));
  }
  form.set('login', login);
  form.set('decision', decision);
  return fetch(`${fixture.url}/login/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
}
const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

/** The whole screen flow: returns the code and the session cookie that the form set. */
async function authorize(fixture: GitHubFixture, params: Record<string, string> = {}, login = 'octocat') {
  const screen = await fetch(authorizeUrl(fixture, params), { redirect: 'manual' });
  assert.equal(screen.status, 200);
  const answer = await submitForm(fixture, await screen.text(), login);
  assert.equal(answer.status, 302);
  const location = new URL(answer.headers.get('location')!);
  const code = location.searchParams.get('code');
  assert.ok(code, `a code in ${location.href}`);
  return { code, location, cookie: answer.headers.get('set-cookie')!.split(';')[0]! };
}

async function exchange(fixture: GitHubFixture, params: Record<string, string>, json = true): Promise<Record<string, string>> {
  const response = await fetch(`${fixture.url}/login/oauth/access_token`, {
    method: 'POST',
    headers: json ? { accept: 'application/json' } : {},
    body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...params }),
  });
  assert.equal(response.status, 200, 'GitHub answers 200 even for errors');
  return json ? ((await response.json()) as Record<string, string>) : Object.fromEntries(new URLSearchParams(await response.text()));
}

// biome-ignore lint/suspicious/noExplicitAny: the fixture's JSON answers have many shapes, each read field by field
async function api(fixture: GitHubFixture, path: string, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${fixture.apiUrl}${path}`, {
    headers: { 'user-agent': 'gatehouse-test', ...(token && { authorization: `Bearer ${token}` }) },
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

test('the authorize screen escapes what it reflects, and its form leads to a code and a JSON token answer', async () => {
  const screen = await fetch(authorizeUrl(github, { state: '"><script>x</script>', scope: 'read:user user:email' }), { redirect: 'manual' });
  assert.equal(screen.status, 200);
  const html = await screen.text();
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /id="authorize"/);
  assert.match(html, /id="login" name="login" value=""/);

  const answer = await submitForm(github, html, 'OctoCat');
  assert.equal(answer.status, 302);
  assert.match(answer.headers.get('set-cookie')!, /^gh_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
  const location = new URL(answer.headers.get('location')!);
  assert.equal(location.origin + location.pathname, CALLBACK);
  assert.equal(location.searchParams.get('state'), '"><script>x</script>');

  const before = github.stats.codeGrants;
  const token = await exchange(github, { code: location.searchParams.get('code')!, redirect_uri: CALLBACK });
  assert.match(token.access_token!, /^gho_[A-Za-z0-9]{36}$/);
  assert.deepEqual({ ...token, access_token: 'x' }, { access_token: 'x', token_type: 'bearer', scope: 'read:user,user:email' });
  assert.equal(github.stats.codeGrants, before + 1);
});

test('without Accept: application/json the token answer is form-encoded; HTTP Basic authenticates the client', async () => {
  const { code } = await authorize(github);
  const response = await fetch(`${github.url}/login/oauth/access_token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ code }),
  });
  assert.match(response.headers.get('content-type')!, /^application\/x-www-form-urlencoded/);
  const token = new URLSearchParams(await response.text());
  assert.match(token.get('access_token')!, /^gho_/);
  assert.equal(token.get('scope'), 'read:user');

  const wrong = await exchange(github, { code, client_secret: 'nope' }, false);
  assert.equal(wrong.error, 'incorrect_client_credentials');
  assert.match(wrong.error_uri!, /^https:\/\/docs\.github\.com\//);
});

test('codes are single use, bound to the redirect_uri, and PKCE (S256 only) is checked', async () => {
  const verifier = 'v'.repeat(50);
  const { code } = await authorize(github, { code_challenge: s256(verifier), code_challenge_method: 'S256' });
  assert.equal((await exchange(github, { code })).error, 'bad_verification_code', 'the verifier is required');
  assert.equal((await exchange(github, { code, code_verifier: 'w'.repeat(50) })).error, 'bad_verification_code');
  assert.equal((await exchange(github, { code, code_verifier: verifier, redirect_uri: `${CALLBACK}/x` })).error, 'redirect_uri_mismatch');
  assert.match((await exchange(github, { code, code_verifier: verifier })).access_token!, /^gho_/);
  const reuse = await exchange(github, { code, code_verifier: verifier });
  assert.deepEqual(Object.keys(reuse), ['error', 'error_description', 'error_uri']);
  assert.equal(reuse.error, 'bad_verification_code');

  const plain = await fetch(authorizeUrl(github, { code_challenge: verifier, code_challenge_method: 'plain' }), { redirect: 'manual' });
  assert.equal(new URL(plain.headers.get('location')!).searchParams.get('error'), 'invalid_request');
  const noChallenge = await authorize(github);
  assert.match((await exchange(github, { code: noChallenge.code, code_verifier: verifier })).access_token!, /^gho_/, 'an unasked-for verifier is ignored');
  assert.equal((await exchange(github, { code: noChallenge.code, grant_type: 'password' })).error, 'unsupported_grant_type');
});

test('unknown client, foreign redirect_uri, cancel and unknown login are answered as GitHub does', async () => {
  assert.equal((await fetch(authorizeUrl(github, { client_id: 'someone-else' }), { redirect: 'manual' })).status, 404);

  const mismatch = await fetch(authorizeUrl(github, { redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
  assert.equal(mismatch.status, 302);
  const back = new URL(mismatch.headers.get('location')!);
  assert.equal(back.origin + back.pathname, CALLBACK, 'the error goes to the registered callback');
  assert.equal(back.searchParams.get('error'), 'redirect_uri_mismatch');
  assert.equal(back.searchParams.get('state'), 'st');

  const html = await (await fetch(authorizeUrl(github), { redirect: 'manual' })).text();
  const cancel = await submitForm(github, html, 'octocat', 'cancel');
  const denied = new URL(cancel.headers.get('location')!).searchParams;
  assert.equal(denied.get('error'), 'access_denied');
  assert.equal(denied.get('error_description'), 'The user has denied your application access.');
  assert.equal(denied.get('state'), 'st');

  const unknown = await submitForm(github, html, 'nobody');
  assert.equal(unknown.status, 200);
  assert.match(await unknown.text(), /role="alert"/);
});

test('a returning user with a session skips the screen, unless more scopes are asked for', async () => {
  const { cookie } = await authorize(github, { scope: 'read:user user:email' }, 'hubot');
  const before = github.stats.authorizeRequests;
  const again = await fetch(authorizeUrl(github, { scope: 'user:email', state: 'two' }), { headers: { cookie }, redirect: 'manual' });
  assert.equal(again.status, 302);
  const params = new URL(again.headers.get('location')!).searchParams;
  assert.equal(params.get('state'), 'two');
  assert.equal((await exchange(github, { code: params.get('code')! })).scope, 'user:email');
  assert.equal(github.stats.authorizeRequests, before + 1);

  const more = await fetch(authorizeUrl(github, { scope: 'repo' }), { headers: { cookie }, redirect: 'manual' });
  assert.equal(more.status, 200);
  assert.match(await more.text(), /id="login" name="login" value="hubot"/, 'prefilled with the session user');

  // The fixture's browserless shortcut: `login=` naming a user who already authorized counts as a session.
  const hinted = await fetch(authorizeUrl(github, { login: 'hubot' }), { redirect: 'manual' });
  assert.equal(hinted.status, 302);
  const stranger = await fetch(authorizeUrl(expiring, { login: 'hubot' }), { redirect: 'manual' });
  assert.equal(stranger.status, 200, 'not for a user who never authorized');
});

test('expiring tokens: refresh tokens rotate, and the old access token lives on', async () => {
  const { code } = await authorize(expiring, { scope: 'read:user' });
  const first = await exchange(expiring, { code });
  assert.equal(first.expires_in as unknown, 28800);
  assert.equal(first.refresh_token_expires_in as unknown, 15811200);
  assert.match(first.refresh_token!, /^ghr_[A-Za-z0-9]{76}$/);

  const second = await exchange(expiring, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, false);
  assert.match(second.access_token!, /^gho_/);
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.equal(second.scope, 'read:user');
  assert.equal(expiring.stats.refreshGrants, 1);
  assert.equal((await exchange(expiring, { grant_type: 'refresh_token', refresh_token: first.refresh_token! })).error, 'bad_refresh_token');
  assert.equal((await api(expiring, '/user', first.access_token)).status, 200);
  assert.equal((await api(expiring, '/user', second.access_token)).status, 200);

  const { code: plainCode } = await authorize(github);
  assert.equal((await exchange(github, { code: plainCode })).refresh_token, undefined, 'no refresh token by default');
});

test('the API refuses requests without a User-Agent, and unknown tokens', async () => {
  const status = await new Promise<{ code: number; body: string }>((resolve, reject) => {
    // fetch always sends a User-Agent, so this one goes out through node:http, which sends none.
    request(`${github.apiUrl}/user`, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ code: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(status.code, 403);
  assert.match(JSON.parse(status.body).message, /User-Agent/);

  const before = github.stats.apiCalls;
  assert.deepEqual((await api(github, '/user')).body, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
  assert.equal((await api(github, '/user', 'gho_madeup')).status, 401);
  assert.equal(github.stats.apiCalls, before + 2);
});

test('/user, /user/emails (only with an email scope) and /user/repos', async () => {
  const narrow = await exchange(github, { code: (await authorize(github, { scope: 'read:user' })).code });
  const user = await api(github, '/user', narrow.access_token);
  assert.equal(user.status, 200);
  assert.match(user.headers.get('content-type')!, /^application\/json; charset=utf-8/);
  assert.deepEqual(
    { ...user.body, node_id: 'x', avatar_url: 'x' },
    {
      login: 'octocat',
      id: 583231,
      node_id: 'x',
      avatar_url: 'x',
      html_url: 'https://github.com/octocat',
      name: 'The Octocat',
      email: null,
      type: 'User',
      public_repos: 2,
    },
  );
  assert.equal((await api(github, '/user/emails', narrow.access_token)).status, 404);

  const wide = await exchange(github, { code: (await authorize(github, { scope: 'user:email' })).code });
  const emails = await api(github, '/user/emails', wide.access_token);
  assert.deepEqual(emails.body, [{ email: 'octocat@example.test', primary: true, verified: true, visibility: 'private' }]);

  const repos = await api(github, '/user/repos?per_page=2', narrow.access_token);
  assert.deepEqual(
    repos.body.map((r: { full_name: string }) => r.full_name),
    ['octocat/hello-world', 'octocat/secret-plans'],
  );
  assert.equal(repos.body[1].private, true);
  assert.equal((await api(github, '/user/repos', narrow.access_token)).body.length, 3);
});

test('deleting the grant revokes every token and brings the screen back; wrong app credentials get 404', async () => {
  const fixture = await startGitHubFixture({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, callbackUrl: CALLBACK, expiringTokens: true });
  try {
    fixture.addUser(OCTOCAT);
    const { code, cookie } = await authorize(fixture);
    const token = await exchange(fixture, { code });
    assert.ok(fixture.hasLiveToken('octocat'));
    const revoke = (secret: string) =>
      fetch(`${fixture.apiUrl}/applications/${CLIENT_ID}/grant`, {
        method: 'DELETE',
        headers: {
          'user-agent': 'gatehouse-test',
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}`,
        },
        body: JSON.stringify({ access_token: token.access_token }),
      });
    assert.equal((await revoke('wrong')).status, 404);
    assert.equal((await revoke(CLIENT_SECRET)).status, 204);
    assert.equal(fixture.stats.revocations, 1);
    assert.equal(fixture.hasLiveToken('octocat'), false);
    assert.equal((await api(fixture, '/user', token.access_token)).status, 401);
    assert.equal((await exchange(fixture, { grant_type: 'refresh_token', refresh_token: token.refresh_token! })).error, 'bad_refresh_token');
    const screen = await fetch(authorizeUrl(fixture), { headers: { cookie }, redirect: 'manual' });
    assert.equal(screen.status, 200, 'the session remains but the authorization is gone');
  } finally {
    await fixture.close();
  }
});

test('expireAccessToken makes the API answer 401; secrets() lists what was issued', async () => {
  const one = await exchange(github, { code: (await authorize(github)).code });
  const two = await exchange(github, { code: (await authorize(github)).code });
  github.expireAccessToken(one.access_token!);
  assert.equal((await api(github, '/user', one.access_token)).status, 401);
  assert.equal((await api(github, '/user', two.access_token)).status, 200);
  assert.ok(github.secrets().includes(one.access_token!));
  assert.ok(github.secrets().includes(CLIENT_SECRET));
  github.expireAllAccessTokens();
  assert.equal((await api(github, '/user', two.access_token)).status, 401);
  assert.equal(github.hasLiveToken('octocat'), false);
});
