import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { isHttpsOrLoopback, isLoopbackHost } from '../../resource/urls.js';
import type { Facts } from './facts.js';
import { type Check, fail, pass, skip, warn } from './report.js';

/** A certificate closer to its end than this is a warning: renewals that fail tend to fail quietly. */
const CERTIFICATE_WARN_DAYS = 14;

/** https for the MCP URL: plain http is fine on this machine (nothing crosses a network) and a failure anywhere else. */
export function checkHttps(facts: Facts, checks: Check[]): void {
  const { url } = facts;
  if (url.protocol === 'https:') checks.push(pass('transport.https', 'served over https'));
  else if (isLoopbackHost(url.hostname)) {
    checks.push(
      warn(
        'transport.https',
        'plain http, on a loopback address: fine on this machine, but no other machine can use it safely',
        'serve it over https (a reverse proxy or a tunnel) before anyone else connects',
      ),
    );
  } else {
    checks.push(
      fail(
        'transport.https',
        'plain http on a network address: tokens cross the network readable, and clients refuse http authorization servers',
        'serve it over https (a reverse proxy with a certificate, or a tunnel)',
      ),
    );
  }
}

/** The certificate as a client's TLS stack sees it: trusted, for this name, and not about to expire. */
export async function checkCertificate(facts: Facts, checks: Check[], timeoutMs: number): Promise<void> {
  const { url } = facts;
  if (url.protocol !== 'https:') {
    checks.push(skip('transport.certificate', 'no certificate: plain http'));
    return;
  }
  const seen = await peerCertificate(url, timeoutMs);
  if ('error' in seen) {
    checks.push(
      fail('transport.certificate', `TLS to ${url.host} failed: ${seen.error}`, 'install a certificate from a public CA for this host name (and its chain)'),
    );
  } else if (!seen.authorized) {
    checks.push(
      fail(
        'transport.certificate',
        `the certificate of ${url.hostname} is not trusted: ${seen.reason}`,
        'install a certificate from a public CA for this host name, with its full chain',
      ),
    );
  } else {
    const days = Math.floor((seen.validTo.getTime() - Date.now()) / 86_400_000);
    checks.push(
      days < CERTIFICATE_WARN_DAYS
        ? warn('transport.certificate', `the certificate is trusted but expires in ${days} days (${seen.validTo.toISOString()})`, 'renew the certificate')
        : pass('transport.certificate', `trusted certificate, valid until ${seen.validTo.toISOString().slice(0, 10)}`),
    );
  }
}

type PeerCertificate = { authorized: true; validTo: Date } | { authorized: false; reason: string } | { error: string };

function peerCertificate(url: URL, timeoutMs: number): Promise<PeerCertificate> {
  return new Promise((resolve) => {
    // rejectUnauthorized off: to report why the certificate is refused, not only that it is. Nothing is sent.
    const request = httpsRequest(url, { method: 'HEAD', rejectUnauthorized: false, agent: false, timeout: timeoutMs });
    const done = (result: PeerCertificate) => {
      request.destroy();
      resolve(result);
    };
    request.once('socket', (socket: TLSSocket) => {
      socket.once('secureConnect', () => {
        if (!socket.authorized) return done({ authorized: false, reason: String(socket.authorizationError) });
        done({ authorized: true, validTo: new Date(socket.getPeerCertificate().valid_to) });
      });
    });
    request.once('timeout', () => done({ error: `no TLS handshake within ${timeoutMs} ms` }));
    request.once('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
    request.end();
  });
}

/**
 * Every URL discovery hands a client (the metadata, the issuer, the endpoints it will send a person and their
 * tokens to) must be https, or http on a loopback address: clients refuse anything else (MCP "Communication
 * Security"), and an authorization endpoint is opened in a browser.
 */
export function checkEndpointsHttps(facts: Facts, checks: Check[]): void {
  const urls = new Map<string, string>();
  if (facts.prm) urls.set('resource metadata', facts.prm.url);
  if (facts.issuer) urls.set('issuer', facts.issuer);
  for (const name of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint']) {
    const value = facts.as?.document[name];
    if (typeof value === 'string') urls.set(name, value);
  }
  if (!urls.size) return;
  const bad = [...urls].filter(([, value]) => !URL.canParse(value) || !isHttpsOrLoopback(new URL(value)));
  checks.push(
    bad.length
      ? fail(
          'transport.endpoints-https',
          `not https: ${bad.map(([name, value]) => `${name} ${value}`).join(', ')}`,
          'serve the authorization server and the metadata over https',
        )
      : pass('transport.endpoints-https', `every discovered URL is https or on this machine (${[...urls.keys()].join(', ')})`),
  );
}
