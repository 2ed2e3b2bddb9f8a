/**
 * The simulated platform's network: the in-memory kernel behind {@link NetworkPlatform}, with the
 * fault hooks tests use (carrier loss, an address removed behind the node's back, an injected
 * errno on the next call).
 */
import { type Observable, Subject } from 'rxjs';
import { PlatformError, type PlatformErrorCode } from '../errors.js';
import { formatIp, parseIp } from '../ip-prefix.js';
import type {
  NetworkChange,
  NetworkPlatform,
  PlatformAddress,
  PlatformAddressRef,
  PlatformHostname,
  PlatformLink,
  PlatformResolvers,
} from '../network.js';
import { addAddress, removeAddress } from './kernel-addresses.js';
import { deleteLink, ensureLink, insertLink, setCable, syncLinks } from './kernel-links.js';
import { addRoute, removeRoute } from './kernel-routes.js';
import {
  allAddresses,
  createKernelState,
  fail,
  isRunning,
  type KernelLink,
  type KernelState,
  note,
  portsOf,
  takePending,
} from './kernel-state.js';

/** The writes of {@link NetworkPlatform} a fault can be injected into. */
export type NetworkWriteOp =
  | 'ensureLink'
  | 'deleteLink'
  | 'addAddress'
  | 'removeAddress'
  | 'addRoute'
  | 'removeRoute'
  | 'setHostname'
  | 'setResolvers';

/** A physical link the simulated machine has from the start (or gets plugged in later). */
export interface SimulatedLinkOptions {
  /** The kernel name, e.g. `eth0`. */
  readonly name: string;
  /** The MAC address; default one derived from the seed. */
  readonly hardwareAddr?: string;
  /** The MTU; default 1500. */
  readonly mtu?: number;
  /** Whether the cable is plugged in; default true. */
  readonly carrier?: boolean;
}

const labelPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function checkDomain(op: string, name: string, allowEmpty: boolean): void {
  if (name === '' && allowEmpty) return;
  if (name.length > 253 || !name.split('.').every((label) => labelPattern.test(label))) {
    fail('EINVAL', op, JSON.stringify(name), 'not a valid DNS name');
  }
}

/** The in-memory network of a simulated machine. */
export class SimulatedNetwork implements NetworkPlatform {
  readonly #state: KernelState = createKernelState();
  readonly #changes = new Subject<NetworkChange>();
  readonly #failures = new Map<NetworkWriteOp, PlatformErrorCode[]>();
  readonly #mac: () => string;
  #hostname: PlatformHostname;
  #resolvers: PlatformResolvers = { nameServers: [], searchDomains: [] };
  #closed = false;

  constructor(options: { mac: () => string; hostname: string }) {
    this.#mac = options.mac;
    this.#hostname = { hostname: options.hostname, domainname: '' };
    insertLink(this.#state, {
      name: 'lo',
      kind: '',
      type: 'loopback',
      hardwareAddr: '00:00:00:00:00:00',
      physical: false,
    });
    takePending(this.#state);
  }

  async links(): Promise<PlatformLink[]> {
    this.#check('links');
    return [...this.#state.links.values()].sort((a, b) => a.index - b.index).map((l) => this.#view(l));
  }

  async addresses(): Promise<PlatformAddress[]> {
    this.#check('addresses');
    const index = (name: string) => this.#state.links.get(name)?.index ?? 0;
    return allAddresses(this.#state)
      .sort(
        (a, b) =>
          index(a.linkName) - index(b.linkName) ||
          a.prefix.family.localeCompare(b.prefix.family) ||
          (a.prefix.value < b.prefix.value ? -1 : a.prefix.value > b.prefix.value ? 1 : 0) ||
          a.prefix.length - b.prefix.length,
      )
      .map((a) => ({
        linkName: a.linkName,
        address: `${formatIp(a.prefix)}/${a.prefix.length}`,
        family: a.prefix.family,
        scope: a.scope,
        flags: [...a.flags].sort(),
      }));
  }

  async routes() {
    this.#check('routes');
    return [...this.#state.routes]
      .sort(
        (a, b) =>
          a.table - b.table ||
          a.family.localeCompare(b.family) ||
          a.destination.localeCompare(b.destination) ||
          a.priority - b.priority,
      )
      .map((r) => ({ ...r }));
  }

  ensureLink = this.#write('ensureLink', (spec: Parameters<NetworkPlatform['ensureLink']>[0]) =>
    ensureLink(this.#state, spec, this.#mac),
  );
  deleteLink = this.#write('deleteLink', (name: string) => deleteLink(this.#state, name));
  addAddress = this.#write('addAddress', (spec: Parameters<NetworkPlatform['addAddress']>[0]) =>
    addAddress(this.#state, spec),
  );
  removeAddress = this.#write('removeAddress', (ref: PlatformAddressRef) => removeAddress(this.#state, ref));
  addRoute = this.#write('addRoute', (spec: Parameters<NetworkPlatform['addRoute']>[0]) =>
    addRoute(this.#state, spec),
  );
  removeRoute = this.#write('removeRoute', (ref: Parameters<NetworkPlatform['removeRoute']>[0]) =>
    removeRoute(this.#state, ref),
  );

  async hostname(): Promise<PlatformHostname> {
    this.#check('hostname');
    return { ...this.#hostname };
  }

  setHostname = this.#write('setHostname', (hostname: string, domainname: string) => {
    checkDomain('setHostname', hostname, false);
    if (hostname.includes('.'))
      fail('EINVAL', 'setHostname', hostname, 'the host name is one label; the rest is the domain name');
    checkDomain('setHostname', domainname, true);
    if (hostname === this.#hostname.hostname && domainname === this.#hostname.domainname) return;
    this.#hostname = { hostname, domainname };
    note(this.#state, 'hostname');
  });

  async resolvers(): Promise<PlatformResolvers> {
    this.#check('resolvers');
    return {
      nameServers: [...this.#resolvers.nameServers],
      searchDomains: [...this.#resolvers.searchDomains],
    };
  }

  setResolvers = this.#write('setResolvers', (resolvers: PlatformResolvers) => {
    const nameServers = resolvers.nameServers.map((s) => {
      const ip = parseIp(s);
      if (ip === undefined) fail('EINVAL', 'setResolvers', s, 'a name server must be an IP address');
      return formatIp(ip);
    });
    for (const d of resolvers.searchDomains) checkDomain('setResolvers', d, false);
    const next = { nameServers, searchDomains: [...resolvers.searchDomains] };
    if (JSON.stringify(next) === JSON.stringify(this.#resolvers)) return;
    this.#resolvers = next;
    note(this.#state, 'resolvers');
  });

  changes(): Observable<NetworkChange> {
    return this.#changes.asObservable();
  }

  /** Whether a link is up with a carrier (what DHCP needs to reach its server). */
  isRunning(name: string): boolean {
    const link = this.#state.links.get(name);
    return link !== undefined && isRunning(this.#state, link);
  }

  /** The MAC of a link, or `''`. */
  hardwareAddrOf(name: string): string {
    return this.#state.links.get(name)?.hardwareAddr ?? '';
  }

  /** Adds a physical link, as if a NIC were hot-plugged. */
  plugLink(options: SimulatedLinkOptions): void {
    if (this.#state.links.has(options.name)) fail('EEXIST', 'plugLink', options.name, 'file exists');
    insertLink(this.#state, {
      name: options.name,
      kind: '',
      type: 'ether',
      hardwareAddr: options.hardwareAddr ?? this.#mac(),
      physical: true,
      mtu: options.mtu ?? 1500,
      cable: options.carrier ?? true,
    });
    syncLinks(this.#state);
    this.#flush();
  }

  /** Plugs or unplugs a physical link's cable. */
  setCarrier(name: string, carrier: boolean): void {
    setCable(this.#state, name, carrier);
    this.#flush();
  }

  /** Removes an address behind the node's back, as a manual `ip addr del` would. */
  removeAddressBehindBack(ref: PlatformAddressRef): void {
    removeAddress(this.#state, ref);
    this.#flush();
  }

  /** Makes the next call of `op` fail with `code`, before it changes anything. */
  failNext(op: NetworkWriteOp, code: PlatformErrorCode): void {
    const queue = this.#failures.get(op) ?? [];
    queue.push(code);
    this.#failures.set(op, queue);
  }

  /** Completes the change stream; later calls throw `ESHUTDOWN`. */
  close(): void {
    this.#closed = true;
    this.#changes.complete();
  }

  #check(op: string): void {
    if (this.#closed) throw new PlatformError('ESHUTDOWN', `${op}: the platform is closed`, { op });
  }

  #flush(): void {
    for (const change of takePending(this.#state)) this.#changes.next(change);
  }

  /** Wraps a kernel write: closed check, an injected failure, then the change notifications. */
  #write<TArgs extends unknown[]>(op: NetworkWriteOp, apply: (...args: TArgs) => void) {
    return async (...args: TArgs): Promise<void> => {
      this.#check(op);
      const injected = this.#failures.get(op)?.shift();
      if (injected !== undefined) {
        throw new PlatformError(injected, `${op}: injected fault ${injected}`, { op, subject: 'injected' });
      }
      try {
        apply(...args);
      } finally {
        // A failed write changed nothing, but a partial change must still be reported.
        this.#flush();
      }
    };
  }

  #view(l: KernelLink): PlatformLink {
    const running = isRunning(this.#state, l);
    let operationalState: PlatformLink['operationalState'] = 'down';
    if (
      l.up &&
      (l.type === 'loopback' ||
        l.kind === 'dummy' ||
        (l.kind === 'bridge' && portsOf(this.#state, l).length === 0))
    )
      operationalState = 'unknown';
    else if (running) operationalState = 'up';
    else if (l.up && (l.kind === 'veth' || l.kind === 'vlan')) operationalState = 'lowerlayerdown';
    const parentName = l.parentName ?? l.peerName;
    return {
      name: l.name,
      index: l.index,
      kind: l.kind,
      type: l.type,
      up: l.up,
      operationalState,
      carrier: running,
      mtu: l.mtu,
      hardwareAddr: l.hardwareAddr,
      physical: l.physical,
      ...(l.masterName === undefined ? {} : { masterName: l.masterName }),
      ...(parentName === undefined ? {} : { parentName }),
      ...(l.vlanId === undefined ? {} : { vlanId: l.vlanId }),
    };
  }
}
