import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoopbackRedirect } from '../../../src/client/connect/loopback.js';

describe('the loopback redirect listener', () => {
  it('listens on 127.0.0.1 on a port of its own', async () => {
    const [a, b] = await Promise.all([LoopbackRedirect.listen(), LoopbackRedirect.listen()]);
    try {
      assert.match(a.redirectUrl, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      assert.notEqual(a.redirectUrl, b.redirectUrl);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses a callback with another state, or none, and still takes the right one', async () => {
    const loopback = await LoopbackRedirect.listen();
    try {
      const { state, callback } = loopback.begin();
      let settled = false;
      void callback.then(() => (settled = true));
      const forged = await fetch(`${loopback.redirectUrl}?code=attacker-code&state=not-${state}`);
      assert.equal(forged.status, 400);
      assert.match(await forged.text(), /does not match/);
      const stateless = await fetch(`${loopback.redirectUrl}?code=attacker-code`);
      assert.equal(stateless.status, 400);
      assert.equal(settled, false, 'a forged callback does not complete the sign-in');

      const genuine = await fetch(`${loopback.redirectUrl}?code=the-code&state=${state}&iss=https%3A%2F%2Fas.example`);
      assert.equal(genuine.status, 200);
      const params = await callback;
      assert.equal(params.get('code'), 'the-code');
      assert.equal(params.get('iss'), 'https://as.example', 'iss goes on to the SDK, which checks it');

      const replay = await fetch(`${loopback.redirectUrl}?code=the-code&state=${state}`);
      assert.equal(replay.status, 400, 'a callback is taken once');
    } finally {
      await loopback.close();
    }
  });

  it('hands an error response on too, for the SDK to report', async () => {
    const loopback = await LoopbackRedirect.listen();
    try {
      const { state, callback } = loopback.begin();
      const response = await fetch(`${loopback.redirectUrl}?error=access_denied&state=${state}`);
      assert.equal(response.status, 400);
      assert.equal((await callback).get('error'), 'access_denied');
    } finally {
      await loopback.close();
    }
  });

  it('answers nothing but the callback path', async () => {
    const loopback = await LoopbackRedirect.listen();
    try {
      assert.equal((await fetch(new URL('/other', loopback.redirectUrl))).status, 404);
    } finally {
      await loopback.close();
    }
  });
});
