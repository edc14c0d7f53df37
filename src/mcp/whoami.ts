import type { ToolDefinition } from './tools.js';

export const WHOAMI_SCOPE = 'read:whoami';

/** The demo tool: tells the caller who the server thinks they are, straight from the verified token. */
export const whoamiTool: ToolDefinition = {
  name: 'whoami',
  config: {
    title: 'Who am I',
    description: 'Returns the identity this server verified from your access token: subject, username or email, client and scopes.',
    scopes: [WHOAMI_SCOPE],
    scopeDescriptions: {
      [WHOAMI_SCOPE]: {
        local: "See who you are: your account's id and email, and the access you granted",
        // Only federated sign-in has a provider identity for the tool to report (`upstream` below).
        upstream: 'See who you are: your account id, email, sign-in provider identity and the access you granted',
      },
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  handler: (_args, { caller }) => {
    // Over stdio (and with authentication switched off) there is no OAuth identity to report.
    if (!caller) return { authenticated: false, note: 'this connection carries no OAuth identity' };
    return {
      authenticated: true,
      kind: caller.kind,
      subject: caller.subject,
      ...(caller.username !== undefined && { username: caller.username }),
      ...(caller.email !== undefined && { email: caller.email }),
      ...(caller.clientId !== undefined && { clientId: caller.clientId }),
      ...(caller.clientName !== undefined && { clientName: caller.clientName }),
      scopes: [...caller.scopes],
      ...(caller.issuer !== undefined && { issuer: caller.issuer }),
      ...(caller.upstream && {
        upstream: {
          source: caller.upstream.source,
          subject: caller.upstream.subject,
          ...(caller.upstream.username !== undefined && { username: caller.upstream.username }),
          ...(caller.upstream.email !== undefined && { email: caller.upstream.email, emailVerified: caller.upstream.emailVerified }),
        },
      }),
    };
  },
};
