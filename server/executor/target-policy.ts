import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ALLOW_TARGETS_ENV, InvalidTargetUrlError, TargetRefusedError } from './errors.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

interface CidrRule {
  readonly network: Address;
  readonly bits: number;
}

const CLOUD_METADATA_IPV4 = '169.254.169.254';

const RANGE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
  uniqueLocal: 'a unique-local (private) IPv6 address',
  linkLocal: 'a link-local address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a carrier-grade NAT (shared) address',
  reserved: 'a reserved or documentation address',
  benchmarking: 'a benchmarking address',
};

// RFC 1123 labels; a leading `*.` makes the entry match any subdomain (but not the bare domain).
const HOST_PATTERN = /^(\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.charCodeAt(0) === 91 /* [ */ && h.charCodeAt(h.length - 1) === 93 /* ] */) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

function describeRange(address: Address, range: string): string {
  if (address.kind() === 'ipv4' && address.toString() === CLOUD_METADATA_IPV4) {
    return 'the link-local cloud metadata address';
  }
  return RANGE_DESCRIPTIONS[range] ?? `a special-purpose (${range}) address`;
}

/**
 * Splits a `TOCK_ALLOW_TARGETS`-style value (comma and/or whitespace separated) into entries.
 */
export function parseAllowList(value: string | undefined | null): string[] {
  if (!value) return [];
  return value.split(/[\s,]+/).filter((entry) => entry.length > 0);
}

/**
 * Decides which outbound targets are permitted. Only http(s) is ever allowed; addresses are
 * allowed when ipaddr.js classifies them as public `unicast`, or when the allow list names them
 * (by CIDR, single IP, exact host name or `*.suffix` host pattern).
 *
 * Host names cannot be judged until they resolve, so `checkUrl` only refuses literal IP hosts;
 * resolved addresses are judged by `checkAddress` at connect time (see guarded-connector.ts).
 */
export class TargetPolicy {
  readonly #cidrs: CidrRule[] = [];
  readonly #hosts = new Set<string>();
  /** Stored with the leading dot (`.internal.example`) so a suffix test cannot match `xinternal.example`. */
  readonly #hostSuffixes: string[] = [];
  readonly allowList: readonly string[];

  /** @throws Error naming the offending entry when an allow-list entry is not a CIDR, IP or host name. */
  constructor(allow: readonly string[] = []) {
    this.allowList = Object.freeze([...allow]);
    for (const raw of allow) {
      const entry = raw.trim();
      if (entry.length === 0) continue;
      if (entry.includes('/')) {
        this.#cidrs.push(parseCidrRule(entry));
        continue;
      }
      const host = normalizeHost(entry);
      if (isIP(host) !== 0) {
        const network = ipaddr.process(host);
        this.#cidrs.push({ network, bits: network.kind() === 'ipv4' ? 32 : 128 });
      } else if (HOST_PATTERN.test(host)) {
        if (host.startsWith('*.')) this.#hostSuffixes.push(host.slice(1));
        else this.#hosts.add(host);
      } else {
        throw new Error(
          `Invalid ${ALLOW_TARGETS_ENV} entry "${raw}": expected a CIDR (10.0.0.0/8), an IP, a host name or *.domain`,
        );
      }
    }
  }

  /** Builds a policy from a comma/whitespace separated list such as the `TOCK_ALLOW_TARGETS` value. */
  static fromList(value: string | undefined | null): TargetPolicy {
    return new TargetPolicy(parseAllowList(value));
  }

  /**
   * Parses `url` and refuses it up front when the scheme is not http(s) or the host is a literal IP
   * that the policy does not allow. WHATWG parsing normalises decimal/hex/octal IPv4 spellings
   * (`http://2130706433/`, `http://0x7f000001/`) to dotted form before the check.
   *
   * @returns the parsed URL so callers do not parse it twice.
   * @throws InvalidTargetUrlError when the URL does not parse.
   * @throws TargetRefusedError when the scheme or literal address is not allowed.
   */
  checkUrl(url: string | URL): URL {
    let parsed: URL;
    if (typeof url === 'string') {
      try {
        parsed = new URL(url);
      } catch {
        throw new InvalidTargetUrlError(`Invalid URL ${JSON.stringify(url)}: expected an absolute http:// or https:// URL`);
      }
    } else {
      parsed = url;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TargetRefusedError(
        `Target protocol ${parsed.protocol} is not supported; use an http:// or https:// URL`,
        parsed.protocol,
      );
    }
    const host = normalizeHost(parsed.hostname);
    if (isIP(host) !== 0) {
      const refusal = this.refusalFor(host);
      if (refusal !== null) throw refusal;
    }
    return parsed;
  }

  /**
   * Connect-time check for one address that `hostname` resolved to (or the literal address itself).
   * @throws TargetRefusedError when the address is not public unicast and not allow-listed.
   */
  checkAddress(ip: string, hostname?: string): void {
    const refusal = this.refusalFor(ip, hostname);
    if (refusal !== null) throw refusal;
  }

  /** Non-throwing form of `checkAddress`, for callback-style callers on the connect path. */
  refusalFor(ip: string, hostname?: string): TargetRefusedError | null {
    let address: Address;
    try {
      // process() unwraps IPv4-mapped IPv6 (::ffff:127.0.0.1) so it is classified as the IPv4 it is.
      address = ipaddr.process(normalizeHost(ip));
    } catch {
      return new TargetRefusedError(`Target address ${ip} is not a valid IP address`, ip);
    }
    const range = address.range();
    if (range === 'unicast') return null;
    if (this.#addressAllowed(address)) return null;
    const host = hostname === undefined ? undefined : normalizeHost(hostname);
    if (host !== undefined && this.#hostAllowed(host)) return null;

    const shown = address.toString();
    const what = describeRange(address, range);
    const subject = host !== undefined && host !== shown && isIP(host) === 0
      ? `Target ${host} resolved to ${shown}, ${what}`
      : `Target ${shown} is ${what}`;
    return new TargetRefusedError(`${subject}; allow it with ${ALLOW_TARGETS_ENV}`, host ?? shown);
  }

  #addressAllowed(address: Address): boolean {
    const kind = address.kind();
    for (const rule of this.#cidrs) {
      // match() throws across address families, so the kind check must come first.
      if (rule.network.kind() === kind && address.match(rule.network, rule.bits)) return true;
    }
    return false;
  }

  #hostAllowed(host: string): boolean {
    if (this.#hosts.has(host)) return true;
    for (const suffix of this.#hostSuffixes) {
      if (host.length > suffix.length && host.endsWith(suffix)) return true;
    }
    return false;
  }
}

function parseCidrRule(entry: string): CidrRule {
  let network: Address;
  let bits: number;
  try {
    [network, bits] = ipaddr.parseCIDR(entry);
  } catch {
    throw new Error(`Invalid ${ALLOW_TARGETS_ENV} entry "${entry}": not a valid CIDR range`);
  }
  // Resolved addresses are unwrapped from IPv4-mapped form, so rules must be too or they never match.
  if (network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return { network: (network as ipaddr.IPv6).toIPv4Address(), bits: bits - 96 };
  }
  return { network, bits };
}
