/**
 * The Linux platform's network: iproute2 inside one network namespace for links, addresses and
 * routes; hostname and resolvers as files under the state directory. Nothing outside the
 * namespace and that directory is touched.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { EMPTY, merge, type Observable, Subject, share, takeUntil } from 'rxjs';
import type { Clock } from '../../runtime/clock.js';
import { readFileIfExists, writeFileAtomic } from '../disk/atomic-file.js';
import { PlatformError } from '../errors.js';
import { formatIp, parseIp, parsePrefix } from '../ip-prefix.js';
import type {
  AddressFamily,
  NetworkChange,
  NetworkPlatform,
  PlatformAddress,
  PlatformAddressRef,
  PlatformAddressSpec,
  PlatformHostname,
  PlatformLink,
  PlatformLinkSpec,
  PlatformResolvers,
  PlatformRoute,
  PlatformRouteRef,
  PlatformRouteSpec,
} from '../network.js';
import { monitorNetns } from './ip-monitor.js';
import { parseAddresses, parseLinks, parseRoutes } from './parse-ip-json.js';
import { runIp } from './run-ip.js';

const namePattern = /^[^/:\s]{1,15}$/;
const labelPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const allowedFlags = new Set(['noprefixroute', 'nodad']);

function invalid(op: string, subject: string, message: string): never {
  throw new PlatformError('EINVAL', `${op} ${subject}: ${message}`, { op, subject });
}

function checkName(op: string, name: string): void {
  if (typeof name !== 'string' || !namePattern.test(name) || name.startsWith('-')) {
    invalid(op, String(name), 'not a valid interface name');
  }
}

function checkDomain(op: string, name: string): void {
  if (name.length > 253 || !name.split('.').every((l) => labelPattern.test(l)))
    invalid(op, JSON.stringify(name), 'not a valid DNS name');
}

function checkAddress(op: string, address: string): void {
  if (!address.includes('/') || parsePrefix(address) === undefined) {
    invalid(op, address, 'not an address with a prefix length (e.g. 10.0.0.5/24)');
  }
}

function checkIp(op: string, family: AddressFamily, what: string, text: string): void {
  if (parseIp(text)?.family !== family) invalid(op, text, `${what} is not an ${family} address`);
}

/** Parses a state file; a corrupt one is `EIO` naming the file. */
function readJson<T>(op: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new PlatformError('EIO', `${op}: the state file is not JSON (${String(cause)})`, { op, cause });
  }
}

const familyFlag = (family: AddressFamily) => (family === 'inet4' ? '-4' : '-6');
const defaultPriority = (family: AddressFamily) => (family === 'inet4' ? 0 : 1024);

/** Options of {@link LinuxNetwork}. */
export interface LinuxNetworkOptions {
  readonly netns: string;
  readonly stateDir: string;
  readonly physicalLinks: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
}

/** iproute2 in a namespace behind {@link NetworkPlatform}. */
export class LinuxNetwork implements NetworkPlatform {
  readonly #netns: string;
  readonly #dir: string;
  readonly #physical: ReadonlySet<string>;
  readonly #local = new Subject<NetworkChange>();
  readonly #closed = new Subject<void>();
  readonly #changes: Observable<NetworkChange>;
  #isClosed = false;

  constructor(options: LinuxNetworkOptions) {
    this.#netns = options.netns;
    this.#dir = join(options.stateDir, 'network');
    this.#physical = new Set(options.physicalLinks);
    const kernel = monitorNetns({ netns: options.netns, clock: options.clock, logger: options.logger });
    // One monitor process however many listen; it stops when the last one leaves or on close.
    this.#changes = merge(kernel, this.#local).pipe(takeUntil(this.#closed), share());
  }

  async links(): Promise<PlatformLink[]> {
    return parseLinks(await this.#ip('links', '', ['-d', '-json', 'link', 'show']), this.#physical);
  }

  async addresses(): Promise<PlatformAddress[]> {
    return parseAddresses(await this.#ip('addresses', '', ['-json', 'addr', 'show']));
  }

  async routes(): Promise<PlatformRoute[]> {
    const [v4, v6] = await Promise.all(
      (['inet4', 'inet6'] as const).map(async (family) =>
        parseRoutes(
          await this.#ip('routes', '', [familyFlag(family), '-json', 'route', 'show', 'table', 'all']),
          family,
        ),
      ),
    );
    return [...v4!, ...v6!];
  }

  async ensureLink(spec: PlatformLinkSpec): Promise<void> {
    const op = 'ensureLink';
    checkName(op, spec.name);
    if (
      spec.mtu !== undefined &&
      spec.mtu !== 0 &&
      (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535)
    ) {
      invalid(op, spec.name, `invalid MTU ${spec.mtu}`);
    }
    if (spec.hardwareAddr !== undefined && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(spec.hardwareAddr)) {
      invalid(op, spec.name, `invalid hardware address ${spec.hardwareAddr}`);
    }
    let link = (await this.links()).find((l) => l.name === spec.name);
    if (link === undefined) {
      if (!spec.logical)
        throw new PlatformError('ENODEV', `${op} ${spec.name}: cannot find device "${spec.name}"`, {
          op,
          subject: spec.name,
        });
      await this.#ip(op, spec.name, ['link', 'add', ...this.#createArgs(spec)]);
      link = (await this.links()).find((l) => l.name === spec.name);
      if (link === undefined)
        throw new PlatformError('EIO', `${op} ${spec.name}: created but not listed`, {
          op,
          subject: spec.name,
        });
    } else if (spec.logical && spec.kind !== undefined && spec.kind !== link.kind) {
      throw new PlatformError(
        'EEXIST',
        `${op} ${spec.name}: exists with kind ${link.kind === '' ? 'physical' : link.kind}, not ${spec.kind}`,
        { op, subject: spec.name },
      );
    }
    const args: string[] = [];
    if (spec.mtu !== undefined && spec.mtu !== 0 && spec.mtu !== link.mtu) args.push('mtu', String(spec.mtu));
    if (spec.hardwareAddr !== undefined && spec.hardwareAddr !== link.hardwareAddr)
      args.push('address', spec.hardwareAddr);
    if (spec.masterName !== undefined && spec.masterName !== (link.masterName ?? '')) {
      if (spec.masterName === '') args.push('nomaster');
      else {
        checkName(op, spec.masterName);
        args.push('master', spec.masterName);
      }
    }
    if (spec.up !== link.up) args.push(spec.up ? 'up' : 'down');
    // Only what differs: a no-op write makes no kernel event.
    if (args.length > 0) await this.#ip(op, spec.name, ['link', 'set', 'dev', spec.name, ...args]);
  }

  #createArgs(spec: PlatformLinkSpec): string[] {
    const op = 'ensureLink';
    const kind = spec.kind ?? '';
    if (kind === '') invalid(op, spec.name, 'a logical link needs a kind');
    if (!/^[a-z0-9_-]+$/.test(kind)) invalid(op, spec.name, `invalid kind ${kind}`);
    switch (kind) {
      case 'vlan': {
        checkName(op, spec.parentName ?? '');
        const id = spec.vlanId ?? 0;
        if (!Number.isInteger(id) || id < 1 || id > 4094) invalid(op, spec.name, `invalid VLAN id ${id}`);
        return ['link', spec.parentName!, 'name', spec.name, 'type', 'vlan', 'id', String(id)];
      }
      case 'veth':
        checkName(op, spec.peerName ?? '');
        return ['name', spec.name, 'type', 'veth', 'peer', 'name', spec.peerName!];
      case 'bond':
        return [
          'name',
          spec.name,
          'type',
          'bond',
          ...(spec.bondMode === undefined ? [] : ['mode', spec.bondMode]),
        ];
      default:
        return ['name', spec.name, 'type', kind];
    }
  }

  async deleteLink(name: string): Promise<void> {
    const op = 'deleteLink';
    checkName(op, name);
    const link = (await this.links()).find((l) => l.name === name);
    if (link === undefined)
      throw new PlatformError('ENODEV', `${op} ${name}: cannot find device "${name}"`, { op, subject: name });
    if (link.physical || link.kind === '') {
      throw new PlatformError('EOPNOTSUPP', `${op} ${name}: operation not supported on a physical link`, {
        op,
        subject: name,
      });
    }
    await this.#ip(op, name, ['link', 'del', 'dev', name]);
  }

  async addAddress(spec: PlatformAddressSpec): Promise<void> {
    const op = 'addAddress';
    checkAddress(op, spec.address);
    checkName(op, spec.linkName);
    for (const flag of spec.flags ?? [])
      if (!allowedFlags.has(flag)) invalid(op, spec.address, `unsupported flag ${flag}`);
    const args = ['addr', 'add', spec.address, 'dev', spec.linkName];
    if (spec.scope !== undefined) args.push('scope', spec.scope);
    await this.#ip(op, `${spec.linkName} ${spec.address}`, [...args, ...(spec.flags ?? [])]);
  }

  async removeAddress(ref: PlatformAddressRef): Promise<void> {
    const op = 'removeAddress';
    checkAddress(op, ref.address);
    checkName(op, ref.linkName);
    await this.#ip(op, `${ref.linkName} ${ref.address}`, ['addr', 'del', ref.address, 'dev', ref.linkName]);
  }

  #routeArgs(
    op: string,
    r: PlatformRouteRef & { source?: string; scope?: string; protocol?: string; type?: string },
  ): string[] {
    if (r.family !== 'inet4' && r.family !== 'inet6')
      invalid(op, String(r.family), 'family must be inet4 or inet6');
    let destination = 'default';
    if (r.destination !== '' && r.destination !== 'default') {
      if (!r.destination.includes('/') || parsePrefix(r.destination)?.family !== r.family) {
        invalid(op, r.destination, `not an ${r.family} prefix`);
      }
      destination = r.destination;
    }
    const args = [familyFlag(r.family), 'route'];
    const type = r.type ?? 'unicast';
    if (!['unicast', 'blackhole', 'unreachable', 'prohibit'].includes(type))
      invalid(op, destination, `unsupported route type ${type}`);
    args.push('__verb__', ...(type === 'unicast' ? [] : [type]), destination);
    if (r.gateway !== undefined && r.gateway !== '') {
      checkIp(op, r.family, 'gateway', r.gateway);
      args.push('via', r.gateway);
    }
    if (r.outLinkName !== undefined && r.outLinkName !== '') {
      checkName(op, r.outLinkName);
      args.push('dev', r.outLinkName);
    }
    const table = r.table ?? 254;
    const priority = r.priority ?? defaultPriority(r.family);
    if (!Number.isInteger(table) || table < 1 || table === 255)
      invalid(op, destination, `invalid table ${table}`);
    if (!Number.isInteger(priority) || priority < 0) invalid(op, destination, `invalid metric ${priority}`);
    args.push('table', String(table), 'metric', String(priority));
    if (r.source !== undefined && r.source !== '') {
      checkIp(op, r.family, 'source', r.source);
      args.push('src', r.source);
    }
    if (r.scope !== undefined) args.push('scope', r.scope);
    if (r.protocol !== undefined) args.push('proto', r.protocol);
    return args;
  }

  async addRoute(spec: PlatformRouteSpec): Promise<void> {
    const op = 'addRoute';
    if (
      (spec.type ?? 'unicast') === 'unicast' &&
      (spec.gateway ?? '') === '' &&
      (spec.outLinkName ?? '') === ''
    ) {
      invalid(op, spec.destination || 'default', 'a route needs a gateway or an outgoing link');
    }
    const args = this.#routeArgs(op, { ...spec, protocol: spec.protocol ?? 'static' });
    await this.#ip(
      op,
      spec.destination || 'default',
      args.map((a) => (a === '__verb__' ? 'add' : a)),
    );
  }

  async removeRoute(ref: PlatformRouteRef): Promise<void> {
    const op = 'removeRoute';
    const args = this.#routeArgs(op, ref);
    await this.#ip(
      op,
      ref.destination || 'default',
      args.map((a) => (a === '__verb__' ? 'del' : a)),
    );
  }

  async hostname(): Promise<PlatformHostname> {
    this.#check('hostname');
    const data = await readFileIfExists(join(this.#dir, 'hostname.json'));
    return data === undefined
      ? { hostname: '', domainname: '' }
      : readJson<PlatformHostname>('hostname', data.toString('utf8'));
  }

  async setHostname(hostname: string, domainname: string): Promise<void> {
    const op = 'setHostname';
    this.#check(op);
    checkDomain(op, hostname);
    if (hostname.includes('.'))
      invalid(op, hostname, 'the host name is one label; the rest is the domain name');
    if (domainname !== '') checkDomain(op, domainname);
    const current = await this.hostname();
    if (current.hostname === hostname && current.domainname === domainname) return;
    await mkdir(this.#dir, { recursive: true });
    await writeFileAtomic(join(this.#dir, 'hostname.json'), `${JSON.stringify({ hostname, domainname })}\n`);
    this.#local.next({ kind: 'hostname' });
  }

  async resolvers(): Promise<PlatformResolvers> {
    this.#check('resolvers');
    const data = await readFileIfExists(join(this.#dir, 'resolvers.json'));
    return data === undefined
      ? { nameServers: [], searchDomains: [] }
      : readJson<PlatformResolvers>('resolvers', data.toString('utf8'));
  }

  async setResolvers(resolvers: PlatformResolvers): Promise<void> {
    const op = 'setResolvers';
    this.#check(op);
    const nameServers = resolvers.nameServers.map((s) => {
      const ip = parseIp(s);
      if (ip === undefined) invalid(op, s, 'a name server must be an IP address');
      return formatIp(ip);
    });
    for (const d of resolvers.searchDomains) checkDomain(op, d);
    const next = { nameServers, searchDomains: [...resolvers.searchDomains] };
    if (JSON.stringify(next) === JSON.stringify(await this.resolvers())) return;
    await mkdir(this.#dir, { recursive: true });
    await writeFileAtomic(join(this.#dir, 'resolvers.json'), `${JSON.stringify(next)}\n`);
    this.#local.next({ kind: 'resolvers' });
  }

  changes(): Observable<NetworkChange> {
    return this.#isClosed ? EMPTY : this.#changes;
  }

  /** Stops the monitor and completes the change stream; later calls throw `ESHUTDOWN`. */
  close(): void {
    this.#isClosed = true;
    this.#closed.next();
    this.#closed.complete();
    this.#local.complete();
  }

  #check(op: string): void {
    if (this.#isClosed) throw new PlatformError('ESHUTDOWN', `${op}: the platform is closed`, { op });
  }

  #ip(op: string, subject: string, args: string[]): Promise<string> {
    this.#check(op);
    return runIp(this.#netns, args, { op, subject });
  }
}
