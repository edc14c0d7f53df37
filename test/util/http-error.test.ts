import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidTokenError, VerifierUnavailableError } from '../../src/index.js';
import { AccountBusyError, AccountError } from '../../src/authserver/people/accounts.js';
import { DpopProofError } from '../../src/resource/dpop.js';
import { StoreUnavailableError } from '../../src/store/contract/store.js';
import { HttpError, JSON_RPC_ERRORS, JsonRpcHttpError, NotFoundError, ServerError, TooManyRequestsError } from '../../src/util/http-error.js';

describe('the error model', () => {
  it('the public error classes are HttpErrors, with their names, statuses and OAuth codes', () => {
    const cases = [
      [new InvalidTokenError('The token has expired'), 'InvalidTokenError', 401, 'invalid_token'],
      [new VerifierUnavailableError('JWKS timed out'), 'VerifierUnavailableError', 503, 'temporarily_unavailable'],
      [new StoreUnavailableError('Redis at 10.0.0.5:6379 is unavailable'), 'StoreUnavailableError', 503, 'temporarily_unavailable'],
      [new DpopProofError('use_dpop_nonce', 'Use the DPoP nonce this server provides', 'n1'), 'DpopProofError', 401, 'use_dpop_nonce'],
      [new AccountError('passwords must be at least 10 characters'), 'AccountError', 400, 'invalid_request'],
      [new AccountBusyError('the account is busy; try again'), 'AccountBusyError', 503, 'temporarily_unavailable'],
    ] as const;
    for (const [error, name, status, code] of cases) {
      assert.ok(error instanceof HttpError && error instanceof Error, name);
      assert.deepEqual([error.name, error.status, error.code], [name, status, code]);
    }
  });

  it('a store outage answers 503 with Retry-After and no-store, and never tells the client where the store is', async () => {
    const response = new StoreUnavailableError('Redis at 10.0.0.5:6379 is unavailable: ECONNREFUSED').toResponse();
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = await response.text();
    assert.deepEqual(JSON.parse(body), { error: 'temporarily_unavailable', error_description: 'The server cannot reach its store; try again shortly' });
    assert.doesNotMatch(body, /10\.0\.0\.5|ECONNREFUSED|Redis/);
  });

  it('an invalid token tells the client its message; a limit tells when to retry', async () => {
    assert.deepEqual(await new InvalidTokenError('The token has expired').toResponse().json(), {
      error: 'invalid_token',
      error_description: 'The token has expired',
    });
    const limited = new TooManyRequestsError('Too many tool calls; try again later', 42).toResponse();
    assert.deepEqual([limited.status, limited.headers.get('retry-after')], [429, '42']);
  });

  it('not found and server errors say nothing more than their code', async () => {
    assert.equal(await new NotFoundError().toResponse().text(), '{"error":"not_found"}');
    const failed = new ServerError(`could not read ${'/var/lib/gatehouse/secret'}`).toResponse();
    assert.deepEqual([failed.status, await failed.text()], [500, '{"error":"server_error"}']);
  });

  it('a JSON-RPC refusal renders as a JSON-RPC error without id, with only the headers it was given', async () => {
    const refused = new JsonRpcHttpError(413, 'request_too_large', JSON_RPC_ERRORS.invalidRequest, 'Request body too large', { Connection: 'close' });
    assert.ok(refused instanceof HttpError);
    const response = refused.toResponse();
    assert.equal(response.status, 413);
    assert.deepEqual(await response.json(), { jsonrpc: '2.0', error: { code: -32600, message: 'Request body too large' }, id: null });
    assert.equal(response.headers.get('connection'), 'close');
    assert.equal(response.headers.get('cache-control'), null, 'the transport sends its refusals without Cache-Control');
  });
});
