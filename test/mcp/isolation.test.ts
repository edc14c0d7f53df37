import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { getCaller, jwt } from '../../src/index.js';
import { TestIssuer } from '../helpers/issuer.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** A helper deep inside a tool, reading the caller without being handed the context. */
async function auditSubject(): Promise<string | undefined> {
  await new Promise((r) => setTimeout(r, Math.random() * 20));
  return getCaller()?.subject;
}

describe('caller context', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), {
      issuer: issuer.url,
      callerContext: true,
      setup: (s) =>
        s.tool('echo_identity', { scopes: ['read:whoami'] }, async (_args, ctx) => {
          const fromContext = ctx.caller?.subject;
          const fromStorage = await auditSubject();
          return { fromContext: fromContext ?? null, fromStorage: fromStorage ?? null };
        }),
    });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  for (const era of [{ mode: 'legacy' as const }, { mode: { pin: '2026-07-28' } }]) {
    it(`fifty concurrent clients with distinct tokens never see each other's identity (${JSON.stringify(era.mode)})`, async () => {
      const clients = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const token = await issuer.token(server.urls.resource, { sub: `user-${i}` });
          const client = new Client({ name: `c${i}`, version: '1' }, { versionNegotiation: era });
          await client.connect(
            new StreamableHTTPClientTransport(new URL(server.urls.resource), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
          );
          return { client, subject: `user-${i}` };
        }),
      );
      const rounds = await Promise.all(
        clients.flatMap(({ client, subject }) =>
          Array.from({ length: 3 }, async () => {
            const [who, echo] = await Promise.all([
              client.callTool({ name: 'whoami', arguments: {} }),
              client.callTool({ name: 'echo_identity', arguments: {} }),
            ]);
            return { subject, who: (who.structuredContent as { subject: string }).subject, echo: echo.structuredContent as Record<string, string> };
          }),
        ),
      );
      const mismatches = rounds.filter((r) => r.who !== r.subject || r.echo['fromContext'] !== r.subject || r.echo['fromStorage'] !== r.subject);
      assert.equal(mismatches.length, 0, JSON.stringify(mismatches.slice(0, 3)));
      await Promise.all(clients.map(({ client }) => client.close()));
    });
  }

  it('has no caller outside a request', () => {
    assert.equal(getCaller(), undefined);
  });
});
