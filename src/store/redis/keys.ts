/*
 * Key layout. Every key starts with `{<prefix>}:`. The braces make the prefix a Redis Cluster hash tag: only the
 * text inside them is hashed, so all keys of one deployment land in the same slot. That is what lets the Lua
 * scripts touch several keys at once (a record, its consumed mark and its kind index; or every record a group
 * names, whose keys a script can only derive from the group's contents) and still run on a cluster: keys a
 * script builds itself are never declared in KEYS, and a cluster only tolerates that because they hash to the
 * same slot as the declared ones. The price is that one deployment's data lives on a single shard (a cluster
 * then adds availability, not capacity); use different prefixes to spread several deployments over shards.
 *
 *   {p}:v:<kind>:<id>   the record's JSON value (string, Redis expiry = the record's TTL)
 *   {p}:c:<kind>:<id>   consumed mark: consumedAt in ms, with the same expiry as the value
 *   {p}:k:<kind>        kind index for list(): sorted set of ids scored by expiry (ms, +inf for none)
 *   {p}:g:<group>       group: sorted set of members scored by membership expiry (ms, +inf for none)
 *   {p}:n:<counter>     fixed-window counter (integer, expiry = end of the window)
 *
 * `<kind>` has `%` and `:` percent-encoded, so the first colon after it always starts the id. purge-group.lua
 * builds record keys from this layout too: change both together.
 */
/** The key prefix of a deployment that names none. */
export const DEFAULT_KEY_PREFIX = 'gatehouse';

export class KeyLayout {
  /** `{<prefix>}:`, the start of every key. */
  readonly base: string;

  constructor(prefix: string) {
    if (prefix === '' || /[{}]/.test(prefix)) {
      throw new Error('the Redis key prefix must be non-empty and must not contain "{" or "}"');
    }
    this.base = `{${prefix}}:`;
  }

  value(kind: string, id: string): string {
    return `${this.valuePrefix(kindTag(kind))}${id}`;
  }

  mark(kind: string, id: string): string {
    return `${this.markPrefix(kindTag(kind))}${id}`;
  }

  /** The keys a record's scripts declare: value, mark, kind index. */
  record(kind: string, id: string): string[] {
    return [this.value(kind, id), this.mark(kind, id), this.kindIndex(kindTag(kind))];
  }

  /** The value keys of one kind start with this (`tag` is the kind as kindTag encodes it). */
  valuePrefix(tag: string): string {
    return `${this.base}v:${tag}:`;
  }

  markPrefix(tag: string): string {
    return `${this.base}c:${tag}:`;
  }

  kindIndex(tag: string): string {
    return `${this.kindIndexPrefix}${tag}`;
  }

  /** Every kind index key starts with this, followed by the kind's tag. */
  get kindIndexPrefix(): string {
    return `${this.base}k:`;
  }

  group(group: string): string {
    return `${this.groupPrefix}${group}`;
  }

  get groupPrefix(): string {
    return `${this.base}g:`;
  }

  counter(counter: string): string {
    return `${this.base}n:${counter}`;
  }
}

export function kindTag(kind: string): string {
  return kind.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The kind an index key names: kindTag undone, in one pass so `%253A` comes back as `%3A`. */
export function kindFromTag(tag: string): string {
  return tag.replace(/%(25|3A)/g, (escaped) => (escaped === '%25' ? '%' : ':'));
}
