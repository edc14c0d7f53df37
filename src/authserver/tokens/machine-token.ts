/**
 * The claim, and its value, that mark an access token a machine client got for itself (client_credentials).
 * oidc-provider sets such a token's `sub` to the client id; the mark says so outright, so a resource server never
 * has to guess from a subject whether a person is behind a token.
 */
export const MACHINE_TOKEN_CLAIM = 'gty';
export const MACHINE_TOKEN_GRANT = 'client_credentials';

/** Whether verified claims are a machine client's own token: the mark, the client as subject, and no grant of a person. */
export function isMachineToken(claims: Readonly<Record<string, unknown>>): boolean {
  return (
    claims[MACHINE_TOKEN_CLAIM] === MACHINE_TOKEN_GRANT &&
    typeof claims['client_id'] === 'string' &&
    claims['sub'] === claims['client_id'] &&
    claims['gid'] === undefined
  );
}
