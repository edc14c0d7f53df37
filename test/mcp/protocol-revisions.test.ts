import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { jwt } from '../../src/index.js';
import { TestIssuer } from '../helpers/issuer.js';
import { initializeBody, postMcp, startServer, type TestServer } from '../helpers/server.js';

describe('every protocol revision the SDK supports', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  for (const version of SUPPORTED_PROTOCOL_VERSIONS) {
    it(`initializes over ${version} with a token, and refuses it without one`, async () => {
      assert.equal((await postMcp(server.urls.resource, undefined, initializeBody(version))).status, 401);
      const response = await postMcp(server.urls.resource, await issuer.token(server.urls.resource), initializeBody(version));
      assert.equal(response.status, 200);
      assert.match(await response.text(), new RegExp(`"protocolVersion":"${version}"`));
    });
  }
});
