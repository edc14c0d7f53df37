import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { embedded, gatehouse, whoamiTool } from '../../src/index.js';
import { captureLogger } from '../helpers/server.js';

const dataDir = () => mkdtempSync(join(tmpdir(), 'gatehouse-http-issuer-'));

describe('an authorization server over plain http', () => {
  it('refuses to start on a public http URL: passwords and tokens would cross the network in clear', async () => {
    const { logger } = captureLogger();
    const server = gatehouse({ name: 'http', publicUrl: 'http://mcp.example.com', auth: embedded({ dataDir: dataDir() }), logger }).addTool(whoamiTool);
    await assert.rejects(server.listen(0, '127.0.0.1'), /must be reached over https, not http:\/\/mcp\.example\.com/);
  });

  it('starts only with dangerouslyAllowHttpIssuer, and says so loudly', async () => {
    const { logger, lines } = captureLogger();
    const server = gatehouse({ name: 'http', publicUrl: 'http://mcp.example.com', auth: embedded({ dataDir: dataDir(), dangerouslyAllowHttpIssuer: true }), logger });
    const running = await server.addTool(whoamiTool).listen(0, '127.0.0.1');
    try {
      assert.ok(lines.some((l) => l.includes('DANGER') && l.includes('plain http')));
    } finally {
      await running.close();
    }
  });

  it('needs nothing for localhost, where nothing crosses a network', async () => {
    const { logger } = captureLogger();
    const running = await gatehouse({ name: 'local', auth: embedded({ dataDir: dataDir() }), logger }).addTool(whoamiTool).listen(0, '127.0.0.1');
    await running.close();
  });
});
