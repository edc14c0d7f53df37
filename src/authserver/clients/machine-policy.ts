import { errors } from 'oidc-provider';

/** The one grant a machine client has: tokens for itself, with no person behind them. */
export const MACHINE_GRANT = 'client_credentials';

/**
 * Machine clients are the operator's alone (`gatehouse clients add --machine`): a registrant or a metadata document
 * can neither call itself one nor ask for the client_credentials grant, so no one can mint tokens by registering.
 * A machine client has that grant and nothing else: no redirects, no person's sign-in, no refresh tokens.
 */
export function checkMachineMetadata(metadata: Record<string, unknown>, fromOutside: boolean): void {
  const grants = Array.isArray(metadata['grant_types']) ? (metadata['grant_types'] as unknown[]) : [];
  const machine = metadata['gatehouse_kind'] === 'machine';
  if (fromOutside && metadata['gatehouse_kind'] !== undefined) {
    throw new errors.InvalidClientMetadata('gatehouse_kind is set by the server operator, not by the client');
  }
  if (!machine && grants.includes(MACHINE_GRANT)) {
    throw new errors.InvalidClientMetadata(`the ${MACHINE_GRANT} grant is only for machine clients the server operator registers`);
  }
  if (machine && (grants.length !== 1 || grants[0] !== MACHINE_GRANT || metadata['token_endpoint_auth_method'] === 'none')) {
    throw new errors.InvalidClientMetadata(`a machine client has only the ${MACHINE_GRANT} grant and authenticates`);
  }
}
