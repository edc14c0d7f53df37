import { type ClientPreset, PRESETS } from '../../authserver/clients/presets.js';
import type { Facts } from './facts.js';
import { answered, jsonObject } from './http.js';
import { type Check, pass, skip, warn } from './report.js';

/** A port a loopback client could pick at run time, for presets whose port varies. */
const PROBE_PORT = '53682';

/** The redirect URIs a preset's client really sends: its patterns with a port and a callback id filled in. */
export function presetRedirectUris(preset: ClientPreset): string[] {
  return preset.redirectUris.map((pattern) => pattern.replace(':*/', `:${PROBE_PORT}/`).replace(/\/\*$/, '/doctor-probe'));
}

/**
 * The ways a client can get a client id here (MCP 2025-11-25, in a client's order of preference): pre-registration
 * (invisible from outside), Client ID Metadata Documents, dynamic registration (RFC 7591). Whether dynamic
 * registration takes the popular clients' redirect URIs is only known by registering, which creates records on
 * someone's server: that is done only when asked (`registerProbe`), and each probe client is deleted again
 * where the server offers RFC 7592 management.
 */
export async function checkRegistration(facts: Facts, checks: Check[]): Promise<void> {
  if (!facts.as) return;
  const { document } = facts.as;
  const cimd = document['client_id_metadata_document_supported'] === true;
  const endpoint = typeof document['registration_endpoint'] === 'string' ? document['registration_endpoint'] : undefined;
  const offered = [cimd && 'Client ID Metadata Documents', endpoint && 'dynamic registration'].filter(Boolean);
  checks.push(
    offered.length
      ? pass('registration.ways', `offers ${offered.join(' and ')} (pre-registration cannot be seen from outside)`)
      : warn(
          'registration.ways',
          'offers neither Client ID Metadata Documents nor dynamic registration: every client needs a client id from the operator',
          'advertise "client_id_metadata_document_supported": true (or a registration_endpoint), or hand out client ids',
        ),
  );

  if (!endpoint) {
    checks.push(skip('registration.presets', 'no dynamic registration, so no redirect URIs to try'));
    return;
  }
  if (!facts.settings.registerProbe) {
    checks.push(
      skip(
        'registration.presets',
        "not probed whether dynamic registration takes the popular clients' redirect URIs: that registers real clients",
        'run again with --register-probe to register (and then delete, where the server allows) one client per preset',
      ),
    );
    return;
  }
  for (const preset of PRESETS) checks.push(await probePreset(facts, endpoint, preset));
}

async function probePreset(facts: Facts, endpoint: string, preset: ClientPreset): Promise<Check> {
  const id = `registration.preset.${preset.name}`;
  const redirectUris = presetRedirectUris(preset);
  const exchange = await facts.http.request(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      client_name: `gatehouse doctor probe (${preset.displayName})`,
      redirect_uris: redirectUris,
      application_type: preset.applicationType,
      token_endpoint_auth_method: preset.tokenEndpointAuthMethod,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  const body = jsonObject(exchange);
  if ((exchange.status === 201 || exchange.status === 200) && typeof body?.['client_id'] === 'string') {
    const cleaned = await deleteProbe(facts, body);
    return pass(
      id,
      `${preset.displayName}: registration accepted ${redirectUris.join(', ')}${cleaned ? ' (probe client deleted)' : ' (probe client left registered)'}`,
    );
  }
  const why =
    typeof body?.['error'] === 'string' ? `${body['error']}${body['error_description'] ? `: ${String(body['error_description'])}` : ''}` : answered(exchange);
  return warn(
    id,
    `${preset.displayName}: registration refused ${redirectUris.join(', ')} (${why})`,
    'allow these redirect URIs for dynamic registration, or pre-register this client',
  );
}

/** RFC 7592 §2.3: a client deletes itself with its registration access token. */
async function deleteProbe(facts: Facts, registered: Record<string, unknown>): Promise<boolean> {
  const uri = registered['registration_client_uri'];
  const token = registered['registration_access_token'];
  if (typeof uri !== 'string' || typeof token !== 'string' || !/^https?:/.test(uri)) return false;
  const exchange = await facts.http.request(uri, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  return exchange.status === 204 || exchange.status === 200;
}
