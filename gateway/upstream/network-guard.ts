// Which addresses remote upstreams may reach. A project developer types the URL of a remote server (and can test it
// before saving), so without a check the gateway would fetch whatever that URL names: the cloud metadata service
// above all (server-side request forgery). The check runs on the address the socket actually connected to, after DNS,
// so a name that resolves (or re-resolves) into a blocked network is refused too, before a byte is sent.
import { BlockList, isIP, type Socket } from 'node:net'
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

/** Whether `address` is in one of the listed networks. IPv4-mapped IPv6 addresses count as IPv4. */
export function blockedBy(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return list.check(mapped[1], 'ipv4')
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')
}

/** An undici connector that refuses sockets whose peer address is in `networks`. */
export function guardedConnector(connectTimeoutMs: number, networks: readonly string[]): buildConnector.connector {
  const connect = buildConnector({ timeout: connectTimeoutMs })
  if (networks.length === 0) return connect
  const list = blockListOf(networks)
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (err) return callback(err, null)
      const address = (socket as Socket).remoteAddress ?? ''
      if (blockedBy(list, address)) {
        socket.destroy()
        return callback(
          Object.assign(
            new Error(
              `refused to connect to ${options.hostname} (${address}): the address is in a blocked network (upstreams.blockedNetworks)`,
            ),
            { code: 'MCPO_BLOCKED_NETWORK' },
          ),
          null,
        )
      }
      callback(null, socket)
    })
}
