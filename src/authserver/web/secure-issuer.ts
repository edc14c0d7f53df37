import type { Logger } from 'pino';
import { OperatorError } from '../../util/operator-error.js';
import { isHttpsOrLoopback, type ServerUrls } from '../../resource/urls.js';

/**
 * OAuth 2.1 requires TLS for the authorization server: plain http is refused off loopback, unless the operator
 * set the dangerous option, which is then announced loudly.
 */
export function requireSecureIssuer(urls: ServerUrls, dangerouslyAllowHttpIssuer: boolean | undefined, logger: Logger): void {
  if (isHttpsOrLoopback(new URL(urls.issuer))) return;
  if (!dangerouslyAllowHttpIssuer) {
    throw new OperatorError(
      `publicUrl (--public-url / GATEHOUSE_PUBLIC_URL): the authorization server must be reached over https, not ${urls.origin}: set it to the https address clients use (behind a TLS proxy, that one); plain http is only for localhost`,
    );
  }
  logger.warn(
    `DANGER: the authorization server is served over plain http at ${urls.origin}: passwords, codes and tokens cross the network unencrypted, and its cookies can be neither Secure nor __Host- prefixed`,
  );
}
