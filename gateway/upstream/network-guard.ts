// Which addresses remote upstreams may reach. A project developer types the URL of a remote server (and can test it
// before saving), so without a check the gateway would fetch whatever that URL names: the cloud metadata service
// above all (server-side request forgery). The check runs on the address the socket actually connected to, after DNS,
// so a name that resolves (or re-resolves) into a blocked network is refused too, before a byte is sent.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction, type Socket } from 'node:net'
import { buildConnector } from 'undici'

/** `upstreams.blockedNetworks` (validated by the config schema) as a BlockList. */
export function blockListOf(networks: readonly string[]): BlockList {
  const list = new BlockList()
  for (const cidr of networks) {
    const [address, bits] = cidr.split('/')
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(address, family)
    else list.addSubnet(address, Number(bits), family)
  }
  return list
}

/**
 * Whether `address` is in one of the listed networks, in any of its spellings: an IPv6 address that carries an IPv4
 * one (mapped `::ffff:a.b.c.d` in either notation, IPv4-compatible, SIIT, NAT64 `64:ff9b::/96`) is also checked as
 * that IPv4 address, and an IPv4 address as its mapped form. The loopback and unspecified addresses of the two
 * families are one host each: `::1` is checked as 127.0.0.1 and `::` as 0.0.0.0 (and 127.0.0.0/8, 0.0.0.0/8 as
 * `::1`, `::`), so blocking 127.0.0.0/8 closes IPv6 loopback too. Anything that is not an IP address is blocked.
 */
export function blockedBy(list: BlockList, address: string): boolean {
  // A zone (`fe80::1%eth0`) makes BlockList.check answer false; the zone does not change which host it is.
  const zone = address.indexOf('%')
  const bare = zone === -1 ? address : address.slice(0, zone)
  const family = isIP(bare)
  if (family === 0) return true
  if (family === 4) return blockedIPv4(list, bare)
  if (list.check(bare, 'ipv6')) return true
  const v4 = embeddedIPv4(ipv6Groups(bare))
  return v4 !== null && blockedIPv4(list, v4)
}

function blockedIPv4(list: BlockList, v4: string): boolean {
  if (list.check(v4, 'ipv4') || list.check(`::ffff:${v4}`, 'ipv6')) return true
  const first = Number(v4.slice(0, v4.indexOf('.')))
  if (first === 127) return list.check('::1', 'ipv6')
  if (first === 0) return list.check('::', 'ipv6')
  return false
}

/** The eight 16-bit groups of a valid IPv6 address (as `isIP` accepts it, zone removed). */
export function ipv6Groups(address: string): number[] {
  let text = address
  const lastColon = text.lastIndexOf(':')
  if (text.indexOf('.', lastColon) !== -1) {
    const [a, b, c, d] = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number)
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const gap = text.indexOf('::')
  const parts = (s: string) => (s === '' ? [] : s.split(':'))
  const head = parts(gap === -1 ? text : text.slice(0, gap))
  const tail = gap === -1 ? [] : parts(text.slice(gap + 2))
  const groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail]
  return groups.map((g) => Number.parseInt(g, 16))
}

/** The IPv4 address an IPv6 address stands for, or null. Fixed prefixes only: no pattern comes from user input. */
export function embeddedIPv4(g: readonly number[]): string | null {
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  const last = () => `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`
  if (zeroTo(8)) return '0.0.0.0' // `::`, the unspecified address: connecting to it reaches this host
  if (zeroTo(7) && g[7] === 1) return '127.0.0.1' // `::1`
  if (zeroTo(5) && g[5] === 0xffff) return last() // ::ffff:0:0/96, IPv4-mapped (RFC 4291 §2.5.5.2)
  if (zeroTo(6)) return last() // ::/96, IPv4-compatible (deprecated, RFC 4291 §2.5.5.1)
  if (zeroTo(4) && g[4] === 0xffff && g[5] === 0) return last() // ::ffff:0:0:0/96, SIIT (RFC 2765)
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0) return last() // NAT64 (RFC 6052)
  return null
}

function refusal(hostname: string, address: string): Error {
  return Object.assign(
    new Error(
      `refused to connect to ${hostname} (${address}): the address is in a blocked network (upstreams.blockedNetworks)`,
    ),
    { code: 'MCPO_BLOCKED_NETWORK' },
  )
}

/**
 * DNS answers are checked before connecting as well as the peer after: connecting to `0.0.0.0` or `::` reaches this
 * host, and the socket then reports 127.0.0.1 or ::1, so a name resolving to them would otherwise pass as loopback.
 */
function guardedLookup(list: BlockList): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, options.all ? [] : '', 0)
      const open = addresses.filter((a) => !blockedBy(list, a.address))
      if (open.length === 0) {
        return callback(
          refusal(hostname, addresses[0]?.address ?? 'no address') as NodeJS.ErrnoException,
          options.all ? [] : '',
          0,
        )
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, open)
      callback(null, open[0].address, open[0].family)
    })
  }
}

/** An undici connector that refuses sockets whose address (dialled or connected) is in `networks`. */
export function guardedConnector(connectTimeoutMs: number, networks: readonly string[]): buildConnector.connector {
  if (networks.length === 0) return buildConnector({ timeout: connectTimeoutMs })
  const list = blockListOf(networks)
  const connect = buildConnector({ timeout: connectTimeoutMs, lookup: guardedLookup(list) })
  return (options, callback) => {
    // An address literal skips DNS: checked here, so `http://[::]:port` is refused as 0.0.0.0 before it dials.
    if (isIP(options.hostname) !== 0 && blockedBy(list, options.hostname)) {
      return callback(refusal(options.hostname, options.hostname), null)
    }
    connect(options, (err, socket) => {
      if (err) return callback(err, null)
      const address = (socket as Socket).remoteAddress ?? ''
      if (blockedBy(list, address)) {
        socket.destroy()
        return callback(refusal(options.hostname, address), null)
      }
      callback(null, socket)
    })
  }
}
