import { z } from 'zod';

const ipv4 = z.ipv4();
const ipv6 = z.ipv6();

/** `0.0.0.0`, `127.0.0.1`, `::`, `::1`, `10.1.2.3`: a literal address, no name lookup. Pure. */
export function isIpAddress(text: string): boolean {
  return ipv4.safeParse(text).success || ipv6.safeParse(text).success;
}

/** A DNS name: dot-separated labels of letters, digits, dashes (and underscores), 253 characters at most. */
const DNS_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function isHostAddress(text: string): boolean {
  return isIpAddress(text) || DNS_NAME.test(text);
}

/** An address a listener binds to: an IP address, since a name would be looked up only when the port opens. */
export const bindAddressSchema = z.string().refine(isIpAddress, {
  message: 'expected an IP address to listen on, such as "0.0.0.0", "127.0.0.1" or "::"',
});

/** An address to connect to: an IP address or a DNS name. */
export const hostAddressSchema = z
  .string()
  .min(1)
  .refine(isHostAddress, { message: 'expected an IP address or a DNS name such as "web-1.example.com"' });
