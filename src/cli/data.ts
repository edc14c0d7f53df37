import { Accounts } from '../authserver/people/accounts.js';
import { grantRevoker } from '../authserver/engine/adapter.js';
import { Consents } from '../authserver/people/consents.js';
import { openEmbeddedData } from '../authserver/engine/embedded-data.js';
import type { KeySource } from '../authserver/keys/key-store.js';
import { publicUrlOf, upstreamFromConfig } from '../config/build.js';
import { openUpstreamVault } from '../authserver/upstream/vault.js';
import { createLogger } from '../util/logger.js';
import { AuditLog } from '../audit/audit-log.js';
import { PeopleAdmin } from '../authserver/people/people-admin.js';
import type { GatehouseConfig } from '../config/schema.js';
import type { Store } from '../store/contract/store.js';
import { serverUrls, type ServerUrls } from '../resource/urls.js';
import { dataInDataDir, prepareDataDir } from './data-dir.js';

/** The embedded server's data, opened by CLI commands (the same store a running server uses). */
export interface ServerData {
  store: Store;
  accounts: Accounts;
  consents: Consents;
  urls: ServerUrls;
  keys: KeySource;
  audit: AuditLog;
  /** Drop a person's upstream tokens, revoking them at the provider when it is configured. */
  dropUpstreamTokens(userId: string): Promise<void>;
  /** Operator changes to accounts, the same ones the admin console makes. */
  people: PeopleAdmin;
  close(): Promise<void>;
}

export async function openServerData(config: GatehouseConfig): Promise<ServerData> {
  // Only `gatehouse serve` makes a data directory: a command given a path that is not there refuses it.
  if (dataInDataDir(config)) prepareDataDir(config.dataDir, { create: false });
  // The same opener as the running server's, so a command finds the store and keys the server uses.
  const { store, keys } = await openEmbeddedData({ dataDir: config.dataDir, store: config.store, storePrefix: config.storePrefix });
  const consents = new Consents(store, grantRevoker(store));
  const accounts = new Accounts(store);
  // Operator actions go on record like any other, kept as long as the server keeps its events; the CLI's own
  // output stays clean (warnings only).
  const audit = new AuditLog(store, createLogger({ level: 'warn', destination: 'stderr' }), config.auditRetentionDays);
  const dropUpstreamTokens = async (userId: string) => {
    const configured = config.mode === 'federated' && config.upstreamClientId && config.upstreamClientSecret ? [upstreamFromConfig(config)] : [];
    const vault = openUpstreamVault(store, configured, (await keys.load()).keys, createLogger({ level: 'warn', destination: 'stderr' }));
    await vault.drop(userId);
  };
  return {
    store,
    accounts,
    consents,
    urls: serverUrls(publicUrlOf(config), config.mcpPath),
    keys,
    audit,
    dropUpstreamTokens,
    people: new PeopleAdmin({ accounts, consents, audit, dropUpstreamTokens }),
    close: () => store.close(),
  };
}

/** Read a password from standard input (piped), without a trailing newline. */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Ask for a password on the terminal without echoing it. */
export function promptPassword(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.reject(new Error('no terminal to ask for a password: pipe it with --password-stdin'));
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let password = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(password);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') password = password.slice(0, -1);
        else password += char;
      }
    };
    input.on('data', onData);
  });
}
