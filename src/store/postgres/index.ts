export { PostgresStore, openPostgresStore, type PostgresStoreOptions } from './store.js';
export { parsePostgresUrl, type PostgresTarget } from './url.js';
