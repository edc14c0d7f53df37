export { RedisStore, openRedisStore, type RedisStoreOptions } from './store.js';
export { parseRedisUrl, type RedisTarget } from './url.js';
