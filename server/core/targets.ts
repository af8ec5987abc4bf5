import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses outbound calls may reach: the one classifier used both when a target is
 * stored (the core refuses literal IP URLs that could never be called) and when a call connects
 * (the executor's target policy judges every resolved address). Pure: no sockets, no DNS.
 *
 * An address is public when ipaddr.js ranges it as `unicast`. IPv6 forms that carry an IPv4
 * address are judged as that IPv4 address, so `[::127.0.0.1]` is loopback like `127.0.0.1`:
 * IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (deprecated), IPv4-translated
 * `::ffff:0:a.b.c.d` (RFC 6145), NAT64 `64:ff9b::a.b.c.d` (RFC 6052) and 6to4 `2002:aabb:ccdd::/48`.
 */

/** Env var the server reads its target allow list from; quoted in refusal messages. */
export const ALLOW_TARGETS_ENV = 'TOCK_ALLOW_TARGETS';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface AddressClass {
  /** The address as written (IPv6 forms keep their IPv6 spelling). */
  raw: Address;
  /** The address judged: the IPv4 address an IPv6 form carries, else `raw`. */
  judged: Address;
  /** ipaddr.js range name of `judged` (`unicast`, `loopback`, `private`, ...). */
  range: string;
  isPublic: boolean;
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

/** Lower case, without IPv6 brackets and without a trailing root dot. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.charCodeAt(0) === 91 /* [ */ && h.charCodeAt(h.length - 1) === 93 /* ] */) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

const ipv4Of = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/** The IPv4 address an IPv6 form carries (see the module comment), or null. */
function embeddedIpv4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = a.parts;
  const zeros = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && p[5] === 0xffff) return ipv4Of(p[6], p[7]); // ::ffff:a.b.c.d
  // ::a.b.c.d, except :: and ::1, which are IPv6's own unspecified and loopback addresses.
  if (zeros(0, 6) && !(p[6] === 0 && p[7] <= 1)) return ipv4Of(p[6], p[7]);
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return ipv4Of(p[6], p[7]); // ::ffff:0:a.b.c.d
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return ipv4Of(p[6], p[7]); // 64:ff9b::a.b.c.d
  if (p[0] === 0x2002) return ipv4Of(p[1], p[2]); // 2002:aabb:ccdd::/48
  return null;
}

/** Classifies a literal IP address (brackets allowed); null when `ip` is not one. */
export function classifyAddress(ip: string): AddressClass | null {
  const host = normalizeHost(ip);
  if (isIP(host) === 0) return null;
  let raw: Address;
  try {
    raw = ipaddr.parse(host);
  } catch {
    return null;
  }
  const judged = raw.kind() === 'ipv6' ? (embeddedIpv4(raw as ipaddr.IPv6) ?? raw) : raw;
  const range = judged.range();
  return { raw, judged, range, isPublic: range === 'unicast' };
}

interface CidrRule {
  readonly network: Address;
  readonly bits: number;
}

/**
 * Splits a `TOCK_ALLOW_TARGETS`-style value (comma and/or whitespace separated) into entries.
 */
export function parseAllowList(value: string | undefined | null): string[] {
  if (!value) return [];
  return value.split(/[\s,]+/).filter((entry) => entry.length > 0);
}

/**
 * The operator's exceptions (`TOCK_ALLOW_TARGETS`): CIDRs, single IPs, exact host names and
 * `*.suffix` host patterns. An address rule matches an address as written or the IPv4 address
 * it carries; a host rule vouches only for addresses a name resolved to, never for a literal IP.
 */
export class TargetAllowList {
  readonly #cidrs: CidrRule[] = [];
  readonly #hosts = new Set<string>();
  /** Stored with the leading dot (`.internal.example`) so a suffix test cannot match `xinternal.example`. */
  readonly #hostSuffixes: string[] = [];
  readonly entries: readonly string[];

  /** @throws Error naming the offending entry when an entry is not a CIDR, IP or host name. */
  constructor(entries: readonly string[] = []) {
    this.entries = Object.freeze([...entries]);
    for (const raw of entries) {
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
        throw new Error(`Invalid ${ALLOW_TARGETS_ENV} entry "${raw}": expected a CIDR (10.0.0.0/8), an IP, a host name or *.domain`);
      }
    }
  }

  allowsAddress(c: AddressClass): boolean {
    return this.#matches(c.judged) || (c.raw !== c.judged && this.#matches(c.raw));
  }

  allowsHost(host: string): boolean {
    const h = normalizeHost(host);
    if (this.#hosts.has(h)) return true;
    for (const suffix of this.#hostSuffixes) {
      if (h.length > suffix.length && h.endsWith(suffix)) return true;
    }
    return false;
  }

  #matches(address: Address): boolean {
    const kind = address.kind();
    for (const rule of this.#cidrs) {
      // match() throws across address families, so the kind check must come first.
      if (rule.network.kind() === kind && address.match(rule.network, rule.bits)) return true;
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
  // Mapped addresses are judged as IPv4, so mapped rules must be too or they never match.
  if (network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return { network: (network as ipaddr.IPv6).toIPv4Address(), bits: bits - 96 };
  }
  return { network, bits };
}

function describe(c: AddressClass): string {
  if (c.judged.kind() === 'ipv4' && c.judged.toString() === CLOUD_METADATA_IPV4) return 'the link-local cloud metadata address';
  return RANGE_DESCRIPTIONS[c.range] ?? `a special-purpose (${c.range}) address`;
}

export interface TargetRefusal {
  message: string;
  /** The host or address that was refused. */
  target: string;
}

/**
 * Why a call to the address `ip` is refused, or null when it may go. `hostname` is the name that
 * resolved to `ip` (connect time); without it `ip` was written literally in the URL.
 */
export function targetRefusal(ip: string, allow: TargetAllowList, hostname?: string): TargetRefusal | null {
  const c = classifyAddress(ip);
  if (c === null) return { message: `Target address ${ip} is not a valid IP address`, target: ip };
  if (c.isPublic || allow.allowsAddress(c)) return null;
  const host = hostname === undefined ? undefined : normalizeHost(hostname);
  if (host !== undefined && allow.allowsHost(host)) return null;

  const judged = c.judged.toString();
  const what = describe(c);
  // An IPv4-mapped address is the IPv4 address on the wire; other forms are named as written.
  const mapped = c.raw.kind() === 'ipv6' && (c.raw as ipaddr.IPv6).isIPv4MappedAddress();
  const shown = c.raw === c.judged || mapped ? judged : `${c.raw.toString()} (which carries ${judged})`;
  const subject =
    host !== undefined && host !== judged && isIP(host) === 0 ? `Target ${host} resolved to ${shown}, ${what}` : `Target ${shown} is ${what}`;
  return { message: `${subject}; allow it with ${ALLOW_TARGETS_ENV}`, target: host ?? judged };
}

/** For a URL's host: the refusal when it is a literal IP the policy refuses; host names are judged at connect time. */
export function literalTargetRefusal(hostname: string, allow: TargetAllowList): TargetRefusal | null {
  return isIP(normalizeHost(hostname)) === 0 ? null : targetRefusal(hostname, allow);
}
