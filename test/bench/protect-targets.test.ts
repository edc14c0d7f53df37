import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, type HttpTarget } from '../../bench/common.js';
import { resourceUrlFor } from '../../bench/scenarios/auth-overhead.js';
import { startBareSdkTarget, startProtectTarget } from '../../bench/scenarios/protect.js';
import { WHOAMI_BODY, whoamiRequests } from '../../bench/scenarios/whoami.js';
import { TestIssuer } from '../helpers/issuer.js';

/** A JSON-RPC call sent the way the bench sends whoami, with `body` in its place. */
async function call(target: HttpTarget, token: string | undefined, body = WHOAMI_BODY): Promise<Response> {
  const [spec] = whoamiRequests(target.requests[0]!.path, [token]);
  return fetch(new URL(spec!.path, target.url), { method: 'POST', headers: spec!.headers, body });
}

const readReadme = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri: 'docs://readme' } });

/** Scenario 5 compares like with like only if the wrapped server really checks tokens and both serve the same server. */
describe('bench scenario 5: protect() and the bare SDK serving one factory', () => {
  let issuer: TestIssuer;
  let wrapped: HttpTarget;
  let bare: HttpTarget;
  let audience: string;
  before(async () => {
    issuer = await TestIssuer.start();
    const port = await freePort();
    audience = resourceUrlFor(port);
    const tokens = await Promise.all([0, 1].map((i) => issuer.token(audience, { sub: `user-${i}` })));
    wrapped = await startProtectTarget({ url: issuer.url, jwksUri: issuer.jwksUri }, port, tokens);
    bare = await startBareSdkTarget();
  });
  after(async () => {
    await wrapped?.close();
    await bare?.close();
    await issuer?.close();
  });

  it('the wrapped server answers whoami with the subject of each token', async () => {
    const answer = await call(wrapped, await issuer.token(audience, { sub: 'user-1' }));
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /"subject":"user-1"/);
  });

  it('the wrapped server refuses a missing token (401) and a token without read:whoami (403)', async () => {
    assert.equal((await call(wrapped, undefined)).status, 401);
    const weak = await call(wrapped, await issuer.token(audience, { sub: 'user-0', scope: '' }));
    assert.equal(weak.status, 403);
    assert.match(weak.headers.get('www-authenticate') ?? '', /scope="[^"]*read:whoami/);
  });

  it('the bare server has no auth: whoami reports no caller', async () => {
    const answer = await call(bare, undefined);
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /"authenticated":false/);
  });

  it('both serve the same resources', async () => {
    for (const answer of [await call(wrapped, await issuer.token(audience, { sub: 'user-0' }), readReadme), await call(bare, undefined, readReadme)]) {
      assert.equal(answer.status, 200);
      assert.match(await answer.text(), /"text":"# readme"/);
    }
  });
});
