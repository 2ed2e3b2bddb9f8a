import { z } from 'zod';
import { ipFamily, ipSchema, parsePrefix, prefixOrEmptySchema, prefixSchema } from '../network/ip.js';

/** `dhcpOptions` of an interface: which families to ask for and the metric of the routes learned. */
const dhcpOptionsSchema = z.strictObject({
  routeMetric: z.number().int().nonnegative().optional(),
  ipv4: z.boolean().optional(),
  ipv6: z.boolean().optional(),
});

/** One static route of an interface; `network` '' or absent is the default route. */
const routeSchema = z
  .strictObject({
    network: prefixOrEmptySchema.default(''),
    gateway: ipSchema.optional(),
    source: ipSchema.optional(),
    metric: z.number().int().nonnegative().optional(),
    mtu: z.number().int().nonnegative().optional(),
  })
  .superRefine((route, ctx) => {
    const dst = route.network === '' ? undefined : parsePrefix(route.network)?.family;
    const gw = route.gateway === undefined ? undefined : ipFamily(route.gateway);
    if (dst !== undefined && gw !== undefined && dst !== gw) {
      ctx.addIssue({
        code: 'custom',
        path: ['gateway'],
        message: `gateway ${route.gateway} is not in the family of network ${route.network}`,
      });
    }
    if (route.network === '' && route.gateway === undefined) {
      ctx.addIssue({ code: 'custom', path: ['gateway'], message: 'a default route needs a gateway' });
    }
  });

/** A shared virtual IP on an interface (control planes campaign for it). */
const vipSchema = z.strictObject({ ip: ipSchema });

/** A VLAN on an interface. */
const vlanSchema = z.strictObject({
  vlanId: z.number().int().min(1).max(4094),
  addresses: z.array(prefixSchema).default([]),
  routes: z.array(routeSchema).default([]),
  dhcp: z.boolean().default(false),
  dhcpOptions: dhcpOptionsSchema.optional(),
  mtu: z.number().int().min(68).max(65_535).optional(),
  vip: vipSchema.optional(),
});

/** A bond made of the listed interfaces; the device's `interface` names the bond. */
const bondSchema = z.strictObject({
  interfaces: z.array(z.string().min(1)).min(1),
  mode: z.string().default('balance-rr'),
  miimon: z.number().int().nonnegative().optional(),
  lacpRate: z.enum(['slow', 'fast']).optional(),
  xmitHashPolicy: z.string().optional(),
});

/** Selects a link by its properties instead of its name. */
const deviceSelectorSchema = z.strictObject({
  hardwareAddr: z.string().optional(),
  driver: z.string().optional(),
  busPath: z.string().optional(),
  physical: z.boolean().optional(),
});

/** One entry of `machine.network.interfaces`: a link by name (or selector) and what it gets. */
export const networkDeviceSchema = z
  .strictObject({
    interface: z.string().min(1).optional(),
    deviceSelector: deviceSelectorSchema.optional(),
    addresses: z.array(prefixSchema).default([]),
    routes: z.array(routeSchema).default([]),
    mtu: z.number().int().min(68).max(65_535).optional(),
    dhcp: z.boolean().default(false),
    dhcpOptions: dhcpOptionsSchema.optional(),
    ignore: z.boolean().default(false),
    vip: vipSchema.optional(),
    vlans: z.array(vlanSchema).default([]),
    bond: bondSchema.optional(),
  })
  .superRefine((device, ctx) => {
    if ((device.interface === undefined) === (device.deviceSelector === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'exactly one of interface and deviceSelector is required',
      });
    }
    const ids = new Set<number>();
    device.vlans.forEach((vlan, i) => {
      if (ids.has(vlan.vlanId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['vlans', i, 'vlanId'],
          message: `duplicate vlanId ${vlan.vlanId}`,
        });
      }
      ids.add(vlan.vlanId);
    });
  });

/** A parsed `machine.network.interfaces` entry. */
export type NetworkDevice = z.output<typeof networkDeviceSchema>;
/** A parsed static route of an interface or VLAN. */
export type NetworkDeviceRoute = z.output<typeof routeSchema>;
/** A parsed VLAN of an interface. */
export type NetworkDeviceVlan = z.output<typeof vlanSchema>;

/** `machine.network`. */
export const machineNetworkSchema = z.strictObject({
  hostname: z.string().min(1).optional(),
  nameservers: z.array(ipSchema).default([]),
  searchDomains: z.array(z.string().min(1)).default([]),
  disableSearchDomain: z.boolean().default(false),
  interfaces: z.array(networkDeviceSchema).default([]),
});
