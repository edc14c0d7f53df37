export { SqliteStore, openSqliteStore, type SqliteStoreOptions } from './store.js';
