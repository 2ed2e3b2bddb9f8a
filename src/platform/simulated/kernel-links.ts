/**
 * Links in the simulated kernel: creating and deleting logical links, admin state, MTU, masters,
 * and what the kernel does on a transition (routes flushed on down, IPv6 flushed, prefix routes
 * back on up, a link-local address once running).
 */
import { formatPrefix, parsePrefix } from '../ip-prefix.js';
import type { PlatformLinkSpec } from '../network.js';
import { addAddress, dropRoutes, flushInet6, installPrefixRoute } from './kernel-addresses.js';
import {
  addressesOf,
  fail,
  isRunning,
  type KernelLink,
  type KernelState,
  note,
  requireLink,
} from './kernel-state.js';

const logicalKinds = new Set(['dummy', 'veth', 'vlan', 'bond', 'bridge']);
const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A link name the kernel accepts: 1 to 15 characters, no `/`, `:` or whitespace. */
function checkLinkName(op: string, name: string): void {
  if (
    typeof name !== 'string' ||
    name.length < 1 ||
    name.length > 15 ||
    /[/:\s]/.test(name) ||
    name === '.' ||
    name === '..'
  ) {
    fail('EINVAL', op, String(name), 'not a valid interface name');
  }
}

/** Stores a new link with the kernel's defaults and the next index. */
export function insertLink(
  state: KernelState,
  fields: Pick<KernelLink, 'name' | 'kind' | 'type' | 'hardwareAddr' | 'physical'> & Partial<KernelLink>,
): KernelLink {
  const link: KernelLink = {
    index: state.nextIndex++,
    up: false,
    cable: true,
    mtu: fields.type === 'loopback' ? 65536 : 1500,
    masterName: undefined,
    parentName: undefined,
    vlanId: undefined,
    peerName: undefined,
    bondMode: undefined,
    wasUp: false,
    wasRunning: false,
    ...fields,
  };
  state.links.set(link.name, link);
  note(state, 'link', link.name);
  return link;
}

/** The EUI-64 link-local address of a MAC, as the kernel derives it (`addrgenmode eui64`). */
function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((h) => Number.parseInt(h, 16));
  const g = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return `fe80::${g(b[0]! ^ 2, b[1]!)}:${g(b[2]!, 0xff)}:${g(0xfe, b[3]!)}:${g(b[4]!, b[5]!)}/64`;
}

/** Applies the kernel's reactions to admin and running transitions of every link. */
export function syncLinks(state: KernelState): void {
  // Transitions can cascade (a veth end going up gives its peer a carrier): loop until stable.
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (const link of state.links.values()) {
      const running = isRunning(state, link);
      if (link.up === link.wasUp && running === link.wasRunning) continue;
      changed = true;
      note(state, 'link', link.name);
      if (link.up && !link.wasUp) onUp(state, link);
      if (!link.up && link.wasUp) onDown(state, link);
      if (running && !link.wasRunning) onRunning(state, link);
      link.wasUp = link.up;
      link.wasRunning = running;
    }
    if (!changed) return;
  }
}

function onUp(state: KernelState, link: KernelLink): void {
  if (link.type === 'loopback') {
    for (const address of ['127.0.0.1/8', '::1/128']) {
      const present = addressesOf(state, link.name).some((a) => formatPrefix(a.prefix) === address);
      if (!present) addAddress(state, { linkName: link.name, address });
    }
  }
  for (const a of addressesOf(state, link.name)) installPrefixRoute(state, link, a);
}

function onDown(state: KernelState, link: KernelLink): void {
  dropRoutes(state, (r) => r.outLinkName === link.name);
  flushInet6(state, link.name);
}

function onRunning(state: KernelState, link: KernelLink): void {
  if (link.type !== 'ether' || link.hardwareAddr === '') return;
  const address = linkLocalOf(link.hardwareAddr);
  const want = parsePrefix(address)!;
  if (!addressesOf(state, link.name).some((a) => a.prefix.value === want.value)) {
    addAddress(state, { linkName: link.name, address });
  }
}

function createLogical(state: KernelState, spec: PlatformLinkSpec, mac: () => string): void {
  const op = 'ensureLink';
  const kind = spec.kind ?? '';
  if (kind === '') fail('EINVAL', op, spec.name, 'a logical link needs a kind');
  if (!logicalKinds.has(kind)) fail('EOPNOTSUPP', op, spec.name, `unknown device type ${kind}`);
  if (kind === 'vlan') {
    const parent = requireLink(state, op, spec.parentName ?? '');
    const id = spec.vlanId ?? 0;
    if (!Number.isInteger(id) || id < 1 || id > 4094) fail('EINVAL', op, spec.name, `invalid VLAN id ${id}`);
    insertLink(state, {
      name: spec.name,
      kind,
      type: 'ether',
      hardwareAddr: parent.hardwareAddr,
      physical: false,
      mtu: parent.mtu,
      parentName: parent.name,
      vlanId: id,
    });
    return;
  }
  if (kind === 'veth') {
    const peerName = spec.peerName ?? '';
    checkLinkName(op, peerName);
    if (state.links.has(peerName)) fail('EEXIST', op, peerName, 'file exists');
    insertLink(state, {
      name: spec.name,
      kind,
      type: 'ether',
      hardwareAddr: mac(),
      physical: false,
      peerName,
    });
    insertLink(state, {
      name: peerName,
      kind,
      type: 'ether',
      hardwareAddr: mac(),
      physical: false,
      peerName: spec.name,
    });
    return;
  }
  insertLink(state, {
    name: spec.name,
    kind,
    type: 'ether',
    hardwareAddr: mac(),
    physical: false,
    bondMode: kind === 'bond' ? (spec.bondMode ?? 'balance-rr') : undefined,
  });
}

function setMaster(state: KernelState, link: KernelLink, masterName: string): void {
  const op = 'ensureLink';
  if (masterName === '') {
    link.masterName = undefined;
    return;
  }
  const master = requireLink(state, op, masterName);
  if (master.kind !== 'bond' && master.kind !== 'bridge')
    fail('EINVAL', op, link.name, `${masterName} is not a bond or bridge`);
  if (master.name === link.name || master.masterName === link.name)
    fail('EINVAL', op, link.name, 'a link cannot be its own master');
  link.masterName = masterName;
}

/** Creates a missing logical link, then makes admin state, MTU, MAC and master what `spec` says. */
export function ensureLink(state: KernelState, spec: PlatformLinkSpec, mac: () => string): void {
  const op = 'ensureLink';
  checkLinkName(op, spec.name);
  if (
    spec.mtu !== undefined &&
    spec.mtu !== 0 &&
    (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535)
  ) {
    fail('EINVAL', op, spec.name, `invalid MTU ${spec.mtu}`);
  }
  if (spec.hardwareAddr !== undefined && !macPattern.test(spec.hardwareAddr)) {
    fail('EINVAL', op, spec.name, `invalid hardware address ${spec.hardwareAddr}`);
  }
  let link = state.links.get(spec.name);
  if (link === undefined) {
    if (!spec.logical) fail('ENODEV', op, spec.name, `cannot find device "${spec.name}"`);
    createLogical(state, spec, mac);
    link = state.links.get(spec.name)!;
  } else if (spec.logical && spec.kind !== undefined && spec.kind !== link.kind) {
    fail(
      'EEXIST',
      op,
      spec.name,
      `exists with kind ${link.kind === '' ? 'physical' : link.kind}, not ${spec.kind}`,
    );
  }
  if (spec.masterName !== undefined && spec.masterName !== (link.masterName ?? '')) {
    setMaster(state, link, spec.masterName);
    note(state, 'link', link.name);
  }
  if (spec.mtu !== undefined && spec.mtu !== 0 && spec.mtu !== link.mtu) {
    link.mtu = spec.mtu;
    note(state, 'link', link.name);
  }
  if (spec.hardwareAddr !== undefined && spec.hardwareAddr !== link.hardwareAddr) {
    link.hardwareAddr = spec.hardwareAddr;
    note(state, 'link', link.name);
  }
  link.up = spec.up;
  syncLinks(state);
}

/** Deletes a logical link (and a veth's peer, a parent's VLANs), its addresses and routes. */
export function deleteLink(state: KernelState, name: string): void {
  const op = 'deleteLink';
  const link = requireLink(state, op, name);
  if (link.physical || link.kind === '')
    fail('EOPNOTSUPP', op, name, 'operation not supported on a physical link');
  const doomed = new Set([name]);
  if (link.kind === 'veth' && link.peerName !== undefined) doomed.add(link.peerName);
  for (const other of state.links.values()) {
    if (other.kind === 'vlan' && other.parentName !== undefined && doomed.has(other.parentName))
      doomed.add(other.name);
  }
  for (const gone of doomed) {
    state.links.delete(gone);
    note(state, 'link', gone);
  }
  for (const other of state.links.values()) {
    if (other.masterName !== undefined && doomed.has(other.masterName)) other.masterName = undefined;
  }
  let addressesGone = false;
  for (const gone of doomed) addressesGone = state.addresses.delete(gone) || addressesGone;
  if (addressesGone) note(state, 'address');
  dropRoutes(state, (r) => doomed.has(r.outLinkName));
  syncLinks(state);
}

/** Plugs or unplugs the cable of a physical link. */
export function setCable(state: KernelState, name: string, cable: boolean): void {
  const link = requireLink(state, 'setCarrier', name);
  if (link.kind !== '' || link.type === 'loopback')
    fail('EINVAL', 'setCarrier', name, 'only a physical link has a cable');
  link.cable = cable;
  syncLinks(state);
}
