import Redis, { RedisOptions } from 'ioredis';

/**
 * ioredis options for a `REDIS_URL` (`redis://[user:password@]host[:port][/db]`, or
 * `rediss://` for TLS). `maxRetriesPerRequest: null` (commands wait for a reconnect
 * instead of failing) is what BullMQ requires of a Worker's connection; it suits the
 * stores too, which should ride out a Redis restart rather than fail a request at once.
 * Throws an Error naming the problem for a URL that is not a Redis URL.
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`REDIS_URL is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`REDIS_URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  if (!parsed.hostname) throw new Error('REDIS_URL has no host');
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`REDIS_URL's database must be a number, not ${JSON.stringify(dbText)}`);
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 6379,
    db,
    maxRetriesPerRequest: null,
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') options.tls = { servername: options.host };
  return options;
}

/** A new ioredis connection to `url` (see redisOptionsFromUrl); `name` shows in CLIENT LIST. */
export function connectRedis(url: string, name?: string): Redis {
  return new Redis({ ...redisOptionsFromUrl(url), ...(name ? { connectionName: name } : {}) });
}
