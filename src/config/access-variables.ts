import { ValidateBy, ValidationOptions } from 'class-validator';
import { isIP } from 'node:net';

/** `API_AUTH_TOKEN`: one token, or a JSON list of tokens (one per client); empty means off. */
export function toTokenList({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return [];
  if (!text.startsWith('[')) return [text];
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return value;
  }
}

/** Printable ASCII without spaces, so a token travels in a header unchanged. */
export const AUTH_TOKEN_PATTERN = /^[\x21-\x7e]{16,512}$/;

/** What Express's `trust proxy` gets: false (off), a hop count, or addresses and subnets. */
export type TrustProxy = false | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `TRUST_PROXY`: empty or `false`, a hop count, a JSON list or a comma-separated list. */
export function toTrustProxy({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '' || text.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  return text.split(',').map((part) => part.trim());
}

function isProxyAddress(entry: unknown): boolean {
  if (typeof entry !== 'string') return false;
  if (PROXY_NAMES.has(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

export function IsTrustProxy(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrustProxy',
      validator: {
        validate: (value: unknown) =>
          value === false ||
          (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 32) ||
          (Array.isArray(value) && value.length > 0 && value.every(isProxyAddress)),
        defaultMessage: () =>
          'must be a hop count (0..32) or a list of addresses/subnets (10.0.0.1, 10.0.0.0/8, loopback, linklocal, uniquelocal)',
      },
    },
    options,
  );
}
