import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BASELINE_COMMIT, checkoutBaseline, CURRENT_ROOT, type Checkout } from '../../bench/baseline.js';
import type { HostedTarget, HttpRequestSpec } from '../../bench/common.js';
import { catalogueTarget, gatehouseCatalogue } from '../../bench/scenarios/catalogue.js';
import { listedTools, listRequest } from '../../bench/scenarios/catalogue-servers.js';
import { TestIssuer } from '../helpers/issuer.js';

const SIZE = 3;

async function send(target: HostedTarget, request: HttpRequestSpec, headers: Record<string, string> = request.headers): Promise<Response> {
  return fetch(new URL(request.path, target.url), { method: request.method, headers, body: request.body });
}

const withoutToken = (request: HttpRequestSpec) => Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'authorization'));

/** Scenario 8 compares the baseline with now only if both hosts really serve their own library with the same tools. */
describe('bench scenario 8: catalogue servers of the baseline, of now and of the bare SDK', () => {
  let issuer: TestIssuer;
  let checkout: Checkout;
  const targets: HostedTarget[] = [];
  before(async () => {
    issuer = await TestIssuer.start();
    checkout = checkoutBaseline();
  });
  after(async () => {
    for (const t of targets) await t.close();
    await issuer?.close();
    checkout?.remove();
  });

  it('checks out the files of the baseline commit, with this tree’s node_modules', () => {
    const atCommit = execFileSync('git', ['-C', CURRENT_ROOT, 'show', `${BASELINE_COMMIT}:src/gatehouse.ts`], { encoding: 'utf8' });
    assert.equal(readFileSync(join(checkout.root, 'src', 'gatehouse.ts'), 'utf8'), atCommit);
    assert.ok(readFileSync(join(checkout.root, 'node_modules', 'zod', 'package.json'), 'utf8').includes('"name": "zod"'));
  });

  for (const library of ['baseline', 'now'] as const) {
    it(`Gatehouse ${library} answers whoami with each token's subject, lists ${SIZE} tools, and refuses a missing token`, async () => {
      const target = await gatehouseCatalogue(issuer, `${library} ${SIZE}`, library === 'now' ? CURRENT_ROOT : checkout.root, SIZE);
      targets.push(target);
      const whoami = await send(target, target.requests[1]!);
      assert.equal(whoami.status, 200);
      assert.match(await whoami.text(), /"subject\\?":\\?"user-1/);
      assert.equal(await listedTools(target.url, listRequest(target.requests[0]!)), SIZE);
      assert.equal((await send(target, target.requests[0]!, withoutToken(target.requests[0]!))).status, 401);
      assert.ok((await target.usage()).cpuSeconds > 0);
    });
  }

  it('the tokens may call every catalogue tool: a catalogue call succeeds', async () => {
    const target = await gatehouseCatalogue(issuer, `now ${SIZE} call`, CURRENT_ROOT, SIZE);
    targets.push(target);
    const [spec] = target.requests;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'notes_search', arguments: { query: 'bench' } } });
    const answer = await send(target, { ...spec!, body });
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /notes_search/);
  });

  it(`the bare SDK serves whoami without a caller and the same ${SIZE} tools; the list ceiling sends its list`, async () => {
    const sdk = await catalogueTarget({ kind: 'sdk', name: `bare-sdk ${SIZE}`, size: SIZE });
    targets.push(sdk);
    const whoami = await send(sdk, sdk.requests[0]!);
    assert.equal(whoami.status, 200);
    assert.match(await whoami.text(), /"authenticated\\?":false/);
    assert.equal(await listedTools(sdk.url, listRequest(sdk.requests[0]!)), SIZE);
    const ceiling = await catalogueTarget({ kind: 'list-ceiling', name: `node:http list ${SIZE}`, size: SIZE });
    targets.push(ceiling);
    assert.equal(await listedTools(ceiling.url, listRequest(ceiling.requests[0]!)), SIZE);
  });
});
