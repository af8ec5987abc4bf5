import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import type { TargetPolicy } from './target-policy.js';

/**
 * Wraps `dns.lookup` so every address a host name resolves to is checked against `policy` before
 * the socket is given any of them. Because the check runs inside the lookup that `net.connect`
 * itself uses, the address that is checked is exactly the address that is dialled: a DNS answer
 * cannot change between check and connect (DNS rebinding).
 *
 * If any resolved address is refused the whole lookup fails, rather than filtering: a name that
 * mixes public and internal answers is treated as hostile.
 */
export function createGuardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, options, (err, address, family) => {
      if (err) {
        callback(err, address, family);
        return;
      }
      // net.connect asks for `all: true` when autoSelectFamily is on (the Node 20 default).
      if (Array.isArray(address)) {
        for (const entry of address) {
          const refusal = policy.refusalFor(entry.address, hostname);
          if (refusal !== null) {
            callback(refusal, [], undefined);
            return;
          }
        }
        callback(null, address, family);
        return;
      }
      const refusal = policy.refusalFor(address, hostname);
      if (refusal !== null) callback(refusal, '', undefined);
      else callback(null, address, family);
    });
  };
}

export interface GuardedConnectorOptions {
  /** TCP (+TLS) connect timeout. Default 10 000 ms. */
  connectTimeoutMs?: number;
}

/**
 * An undici connector that never opens a socket to an address the policy refuses.
 *
 * Host names are checked by the guarded lookup. Literal IP hosts bypass lookup entirely inside
 * `net.connect`, so they are checked here before the underlying connector is called; the executor
 * also checks them in `TargetPolicy.checkUrl`, but the connector must not rely on that.
 */
export function createGuardedConnector(
  policy: TargetPolicy,
  options: GuardedConnectorOptions = {},
): buildConnector.connector {
  const connect = buildConnector({
    lookup: createGuardedLookup(policy),
    timeout: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
  });
  return (opts, callback) => {
    let host = opts.hostname;
    // undici strips IPv6 brackets before calling the connector; tolerate either form.
    if (host.charCodeAt(0) === 91 /* [ */) host = host.slice(1, host.indexOf(']'));
    if (isIP(host) !== 0) {
      const refusal = policy.refusalFor(host);
      if (refusal !== null) {
        callback(refusal, null);
        return;
      }
    }
    connect(opts, callback);
  };
}
