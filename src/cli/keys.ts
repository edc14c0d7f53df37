import type { Command } from 'commander';
import { DEFAULT_PUBLICATION_SECONDS } from '../authserver/keys/keys.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { openServerData } from './data.js';
import { DATA_SETTINGS, RECORDING_SETTINGS, type Sources, type WithSettings } from './setting-sets.js';
import { rotateSigningKeys } from '../authserver/keys/rotation.js';

/** `gatehouse keys rotate`: a new generation of signing keys, published before it signs. */
export function keysCommand(program: Command, withSettings: WithSettings, sources: Sources): void {
  const keys = program.command('keys').description('signing keys of the embedded authorization server');
  withSettings(
    keys
      .command('rotate')
      .description('publish a new signing key now and sign with it after the publication period; the previous one keeps verifying until its tokens expire')
      .option('--publish-for <seconds>', 'how long the new key is published before it signs: longer than resource servers cache the JWKS (default 900)'),
    // The rotation is recorded in the audit log.
    [...DATA_SETTINGS, ...RECORDING_SETTINGS],
  ).action(async (options: Record<string, unknown>) => {
    const publishFor = options['publishFor'] === undefined ? undefined : Number(options['publishFor']);
    if (publishFor !== undefined && !(Number.isInteger(publishFor) && publishFor >= 0)) throw new ConfigError(['--publish-for: a whole number of seconds']);
    const data = await openServerData(loadConfig(sources(options)));
    try {
      const { current, retired, signsFrom } = await rotateSigningKeys(data.keys, data.audit, { via: 'cli' }, publishFor);
      const algOf = new Map((await data.keys.load()).keys.signing.map((k) => [k.kid, k.alg]));
      const named = current.map((kid) => `${kid} (${algOf.get(kid) ?? '?'})`).join(' and ');
      const wait = publishFor ?? DEFAULT_PUBLICATION_SECONDS;
      process.stdout.write(
        `Published new signing keys: ${named}, one for each algorithm tokens are signed with.\n` +
          (wait > 0
            ? `They sign from ${new Date(signsFrom * 1000).toISOString()} (in ${wait} s, once resource servers that cache the JWKS have them); until then the current keys go on signing.\n`
            : 'They sign from now on.\n') +
          'Tokens signed by earlier keys stay valid until they expire: those keys stay published to verify them.\n' +
          (retired.length ? `Retired (no longer published): ${retired.join(', ')}\n` : ''),
      );
    } finally {
      await data.close();
    }
  });
}
