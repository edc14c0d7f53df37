import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountBusyError, AccountError, Accounts } from '../../src/authserver/people/accounts.js';
import { MemoryStore } from '../../src/store/memory.js';

/** What the accounts refuse, as the error model's classes: the caller's fault (400), or a lost race (503). */
describe('account errors', () => {
  it('bad input and duplicates are AccountErrors: 400 invalid_request, with the message the client is shown', async () => {
    const accounts = new Accounts(new MemoryStore());
    await assert.rejects(accounts.create('ada@example.com', 'short'), (error: unknown) => {
      assert.ok(error instanceof AccountError);
      assert.deepEqual([error.status, error.code, error.description], [400, 'invalid_request', 'passwords must be at least 10 characters']);
      return true;
    });
    await accounts.create('ada@example.com', 'correct horse battery staple');
    await assert.rejects(accounts.create('Ada@Example.com', 'another long password'), AccountError);
  });

  it('a change to an account someone else holds is an AccountBusyError: 503 with Retry-After, never a 500', async () => {
    const store = new MemoryStore();
    const accounts = new Accounts(store);
    const user = await accounts.create('bob@example.com', 'correct horse battery staple');
    // Another replica (or an operator's command) holds the account's lock for longer than a change waits.
    assert.ok(await store.setIfAbsent('UserLock', user.id, true, 5));
    await assert.rejects(accounts.setDisabled('bob@example.com', true), (error: unknown) => {
      assert.ok(error instanceof AccountBusyError);
      const response = error.toResponse();
      assert.deepEqual([response.status, response.headers.get('retry-after')], [503, '5']);
      return true;
    });
    assert.equal((await accounts.findById(user.id))?.disabled, false, 'nothing was changed');
  });
});
