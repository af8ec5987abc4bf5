import { isIP } from 'node:net';
import { TargetAllowList, normalizeHost, parseAllowList, targetRefusal } from '../core/targets.js';
import { InvalidTargetUrlError, TargetRefusedError } from './errors.js';

export { parseAllowList };

/**
 * Decides which outbound targets are permitted. Only http(s) is ever allowed; addresses are
 * allowed when the shared classifier (server/core/targets.ts) finds them public, or when the
 * allow list names them (by CIDR, single IP, exact host name or `*.suffix` host pattern).
 *
 * Host names cannot be judged until they resolve, so `checkUrl` only refuses literal IP hosts;
 * resolved addresses are judged by `checkAddress` at connect time (see guarded-connector.ts).
 */
export class TargetPolicy {
  readonly #allow: TargetAllowList;
  readonly allowList: readonly string[];

  /** @throws Error naming the offending entry when an allow-list entry is not a CIDR, IP or host name. */
  constructor(allow: readonly string[] = []) {
    this.#allow = new TargetAllowList(allow);
    this.allowList = this.#allow.entries;
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
    const refusal = targetRefusal(ip, this.#allow, hostname);
    return refusal === null ? null : new TargetRefusedError(refusal.message, refusal.target);
  }
}
