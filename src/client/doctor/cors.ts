import type { Facts } from './facts.js';
import { answered, type Exchange } from './http.js';
import { type Check, pass, warn } from './report.js';

const allows = (exchange: Exchange, origin: string) => {
  const allowed = exchange.headers.get('access-control-allow-origin');
  return allowed === '*' || allowed === origin;
};
const listed = (header: string | null, name: string) =>
  (header ?? '')
    .toLowerCase()
    .split(/\s*,\s*/)
    .includes(name.toLowerCase());

/**
 * What a browser-based client (the MCP Inspector, a web IDE) at `origin` can do: read the discovery documents,
 * call the MCP endpoint and read its challenge, and redeem a code at the token endpoint. A refusal is a warning,
 * not a failure: a server may rightly keep browsers out.
 */
export async function checkCors(facts: Facts, checks: Check[]): Promise<void> {
  const { origin } = facts.settings;
  const documents = [facts.prm?.url, facts.as?.url].filter((u): u is string => u !== undefined);
  if (documents.length) {
    const refused: string[] = [];
    for (const url of documents) {
      const exchange = await facts.http.request(url, { headers: { origin, accept: 'application/json' } });
      if (!allows(exchange, origin)) refused.push(url);
    }
    checks.push(
      refused.length
        ? warn(
            'cors.metadata',
            `a page at ${origin} cannot read ${refused.join(' and ')} (no Access-Control-Allow-Origin)`,
            'answer discovery documents with Access-Control-Allow-Origin: * (they are public)',
          )
        : pass('cors.metadata', `a page at ${origin} can read the discovery documents`),
    );
  }

  checks.push(await mcpCheck(facts, origin));

  const token = facts.as?.document['token_endpoint'];
  if (typeof token === 'string' && /^https?:/.test(token)) {
    const preflight = await facts.http.request(token, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    checks.push(
      allows(preflight, origin)
        ? pass('cors.token', `a page at ${origin} may redeem codes at the token endpoint`)
        : warn(
            'cors.token',
            `a page at ${origin} may not call the token endpoint (preflight: ${answered(preflight)}, no matching Access-Control-Allow-Origin)`,
            `allow ${origin} on the token endpoint if browser-based clients should sign in`,
          ),
    );
  }
}

async function mcpCheck(facts: Facts, origin: string): Promise<Check> {
  const preflight = await facts.http.request(facts.url.href, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
    },
  });
  if (preflight.status < 200 || preflight.status >= 300 || !allows(preflight, origin)) {
    return warn(
      'cors.mcp',
      `a page at ${origin} may not call the MCP endpoint (preflight: ${answered(preflight)}); fine if no browser-based client should`,
      `add ${origin} to the server's allowed origins for browser-based clients`,
    );
  }
  if (!listed(preflight.headers.get('access-control-allow-headers'), 'authorization')) {
    return warn(
      'cors.mcp',
      `the preflight for ${origin} does not allow the Authorization header: a browser client cannot send its token`,
      'list Authorization (and Content-Type, Mcp-Protocol-Version) in Access-Control-Allow-Headers',
    );
  }
  const unauthenticated = await facts.http.request(facts.url.href, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  });
  if (unauthenticated.status === 401 && !listed(unauthenticated.headers.get('access-control-expose-headers'), 'www-authenticate')) {
    return warn(
      'cors.mcp',
      `a page at ${origin} gets the 401 but cannot read its WWW-Authenticate challenge, so cannot discover how to sign in`,
      'add WWW-Authenticate to Access-Control-Expose-Headers',
    );
  }
  return pass('cors.mcp', `a page at ${origin} may call the MCP endpoint and read its challenge`);
}
