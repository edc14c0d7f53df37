import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_DIR_ENV, defaultConfigDir } from '../../../src/client/connect/config-dir.js';
import { TokenStore } from '../../../src/client/connect/token-store.js';

const tokens = (access_token: string) => ({ access_token, token_type: 'Bearer' });

describe('the token file of gatehouse connect', () => {
  it('is mode 0600 in a 0700 directory, even when the directory was looser', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gatehouse-store-')), 'gatehouse');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const store = new TokenStore(dir);
    store.update('https://mcp.example/mcp', (record) => {
      record.issuers['https://as.example'] = { tokens: tokens('a') };
    });
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('keeps each server and each issuer apart', () => {
    const store = new TokenStore(mkdtempSync(join(tmpdir(), 'gatehouse-store-')));
    store.update('https://one.example/mcp', (record) => {
      record.issuers['https://as-a.example'] = { tokens: tokens('one-a') };
      record.current = 'https://as-a.example';
    });
    store.update('https://one.example/mcp', (record) => {
      record.issuers['https://as-b.example'] = { tokens: tokens('one-b') };
    });
    store.update('https://two.example/mcp', (record) => {
      record.issuers['https://as-a.example'] = { tokens: tokens('two-a') };
    });
    const one = store.read('https://one.example/mcp');
    assert.equal(one.issuers['https://as-a.example']?.tokens?.access_token, 'one-a');
    assert.equal(one.issuers['https://as-b.example']?.tokens?.access_token, 'one-b');
    assert.equal(one.current, 'https://as-a.example');
    assert.equal(store.read('https://two.example/mcp').issuers['https://as-a.example']?.tokens?.access_token, 'two-a');
    assert.deepEqual(store.read('https://three.example/mcp'), { issuers: {} });
  });

  it('refuses a file it does not understand rather than overwrite it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
    writeFileSync(join(dir, 'tokens.json'), '{"version":7}');
    const store = new TokenStore(dir);
    assert.throws(() => store.read('https://one.example/mcp'), /not a token file of this version/);
    assert.throws(() => store.update('https://one.example/mcp', () => {}), /not a token file/);
    assert.equal(readFileSync(join(dir, 'tokens.json'), 'utf8'), '{"version":7}');
  });

  it('lives in $GATEHOUSE_CONFIG_DIR, else $XDG_CONFIG_HOME/gatehouse, else ~/.config/gatehouse', () => {
    assert.equal(defaultConfigDir({ [CONFIG_DIR_ENV]: '/tmp/own', XDG_CONFIG_HOME: '/xdg' }), '/tmp/own');
    assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: '/xdg' }), '/xdg/gatehouse');
    assert.match(defaultConfigDir({ XDG_CONFIG_HOME: 'relative' }), /\/\.config\/gatehouse$/);
    assert.match(defaultConfigDir({}), /\/\.config\/gatehouse$/);
  });
});
