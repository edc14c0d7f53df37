import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRedirect } from '../../src/authserver/clients/redirect-destination.js';

describe('describeRedirect: what the consent page names as the destination', () => {
  it('names the scheme of a private-use redirect, never the "host" its registrant wrote after it', () => {
    assert.equal(describeRedirect('com.example.app://claude.ai/cb'), 'the app registered for com.example.app:');
    assert.equal(describeRedirect('com.example.app:/cb'), 'the app registered for com.example.app:');
    assert.equal(describeRedirect('cursor://anysphere.cursor-mcp/oauth/callback'), 'the app registered for cursor:');
    for (const uri of ['com.example.app://claude.ai/cb', 'com.example.app://user@claude.ai:443/cb']) {
      assert.doesNotMatch(describeRedirect(uri), /claude\.ai/, uri);
    }
  });

  it('names the host of an https redirect, with a non-default port, and an internationalised name in ASCII', () => {
    assert.equal(describeRedirect('https://claude.ai/api/mcp/auth_callback'), 'claude.ai');
    assert.equal(describeRedirect('https://app.example.com:8443/cb'), 'app.example.com:8443');
    assert.equal(describeRedirect('https://app.example.com:443/cb'), 'app.example.com');
    assert.equal(describeRedirect('https://[2001:db8::1]/cb'), '[2001:db8::1]');
    assert.equal(describeRedirect('https://сlaude.ai/cb'), 'xn--laude-0ye.ai', 'a Cyrillic с cannot pass for claude.ai');
  });

  it('names a loopback redirect as an app on this computer, with its port', () => {
    assert.equal(describeRedirect('http://127.0.0.1:5000/callback'), 'an app on this computer (port 5000)');
    assert.equal(describeRedirect('http://localhost:5001/callback'), 'an app on this computer (port 5001)');
    assert.equal(describeRedirect('http://[::1]:33418/'), 'an app on this computer (port 33418)');
    assert.equal(describeRedirect('http://127.0.0.1/cb'), 'an app on this computer (port 80)');
  });

  it('says precisely what anything else is', () => {
    assert.equal(describeRedirect('http://app.example.com/cb'), 'app.example.com (unencrypted http)');
    assert.equal(describeRedirect('not a uri'), 'the address not a uri');
  });
});
