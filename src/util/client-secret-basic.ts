/**
 * The `Authorization` header value for `client_secret_basic` (RFC 6749 §2.3.1): each part form-encoded before they
 * are joined, so a `:` or a non-ASCII character in either survives the trip.
 */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
