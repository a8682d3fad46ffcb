/**
 * Which addresses a fetch may connect to (issue 12 §6, SSRF). A feed, a redirect or a link on a
 * list page is written by someone else: it must not make this server read its own loopback, the
 * intranet around it or a cloud metadata service. Checked on the resolved addresses, per hop,
 * and the connection is then made to exactly the addresses checked (see `pinnedLookup`), so a
 * DNS answer that changes between the check and the connect (rebinding) cannot swap them.
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP, type LookupFunction } from 'node:net'

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

/** Resolves a hostname to every address it has (tests inject their own). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>

export const systemResolver: Resolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true })
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }))
}

/**
 * Ranges a fetch never reaches unless the operator configured that host, each with the words the
 * error uses. Order matters: the first match names the reason (metadata before link-local).
 */
const RANGES: Array<[reason: string, cidrs: string[]]> = [
  // AWS/GCP/Azure/OpenStack 169.254.169.254 and AWS's IPv6 one, Alibaba Cloud's, Azure's wireserver.
  ['cloud metadata address', ['169.254.169.254/32', 'fd00:ec2::254/128', '100.100.100.200/32', '168.63.129.16/32']],
  ['loopback address', ['127.0.0.0/8', '::1/128']],
  ['unspecified address', ['0.0.0.0/8', '::/128']],
  // RFC 1918; RFC 4193 unique local; RFC 3879 deprecated site-local.
  ['private address', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fec0::/10']],
  // RFC 6598: carrier-grade NAT, the provider's side of the network.
  ['shared (CGNAT) address', ['100.64.0.0/10']],
  ['link-local address', ['169.254.0.0/16', 'fe80::/10']],
  // RFC 6890 special purpose, benchmarking, multicast, reserved and broadcast: never a feed.
  ['reserved address', ['192.0.0.0/24', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4', 'ff00::/8']],
]

const BLOCKS: Array<[reason: string, list: BlockList]> = RANGES.map(([reason, cidrs]) => {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/')
    list.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4')
  }
  return [reason, list]
})

/**
 * IPv6 forms that carry an IPv4 address a packet may end up at: IPv4-mapped (::ffff:a.b.c.d),
 * the deprecated IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96, RFC 6052) and 6to4
 * (2002:AABB:CCDD::/48, RFC 3056). They are judged by the IPv4 address inside.
 */
function embeddedIpv4(address: string): string | undefined {
  const words = expandIpv6(address)
  if (!words) return undefined
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0)
  if (zeros(0, 5) && words[5] === 0xffff) return v4(words[6], words[7])
  if (zeros(0, 6) && (words[6] !== 0 || words[7] > 1)) return v4(words[6], words[7])
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return v4(words[6], words[7])
  if (words[0] === 0x2002) return v4(words[1], words[2])
  return undefined
}

/** The eight 16-bit words of an IPv6 address (dotted IPv4 tail allowed), or undefined. */
function expandIpv6(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '')
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number)
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::')
  const part = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : [])
  const left = part(head)
  const right = part(tail)
  const fill = tail === undefined ? [] : new Array(8 - left.length - right.length).fill(0)
  const words = [...left, ...fill, ...right]
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined
}

/** Why a fetch may not connect to `address` (`"link-local address"`), or undefined when it may. */
export function forbiddenReason(address: string): string | undefined {
  const family = isIP(address)
  if (family === 0) return 'not an IP address'
  const inner = family === 6 ? embeddedIpv4(address) : undefined
  if (inner) return forbiddenReason(inner)
  const type = family === 6 ? 'ipv6' : 'ipv4'
  return BLOCKS.find(([, list]) => list.check(address, type))?.[0]
}

/** `[::1]` → `::1`: URL.hostname keeps IPv6 literals in brackets. */
export function bareHostname(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

/** The addresses of a URL's host: an IP literal as it is, a name through the resolver. */
export async function resolveHost(hostname: string, resolver: Resolver): Promise<ResolvedAddress[]> {
  const bare = bareHostname(hostname)
  const family = isIP(bare)
  if (family) return [{ address: bare, family: family === 6 ? 6 : 4 }]
  return resolver(bare)
}

/**
 * A `net.connect` lookup that answers with the addresses already checked and nothing else: the
 * socket connects where the check looked. Node asks with `all: true` when it races families.
 */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as (err: null, all: ResolvedAddress[]) => void)(null, addresses)
    else callback(null, addresses[0].address, addresses[0].family)
  }
}
