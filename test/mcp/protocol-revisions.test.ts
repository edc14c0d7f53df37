import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { initializeBody, postMcp, useJwtServer } from '../helpers/server.js';

describe('every protocol revision the SDK supports', () => {
  const fx = useJwtServer();

  for (const version of SUPPORTED_PROTOCOL_VERSIONS) {
    it(`initializes over ${version} with a token, and refuses it without one`, async () => {
      assert.equal((await postMcp(fx.server.urls.resource, undefined, initializeBody(version))).status, 401);
      const response = await postMcp(fx.server.urls.resource, await fx.issuer.token(fx.server.urls.resource), initializeBody(version));
      assert.equal(response.status, 200);
      assert.match(await response.text(), new RegExp(`"protocolVersion":"${version}"`));
    });
  }
});
