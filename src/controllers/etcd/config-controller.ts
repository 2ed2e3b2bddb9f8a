import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { isControlPlane } from '../../resources/config/machine-type.js';
import type { V1Alpha1Config } from '../../resources/config/v1alpha1.js';
import { type EtcdConfig, EtcdConfigs, etcdId } from '../../resources/etcd/etcd-config.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';

/** Splits Talos' subnet list, where `!10.0.0.0/8` excludes, into valid and excluded subnets. */
function splitSubnets(subnets: readonly string[]): { valid: string[]; exclude: string[] } {
  return {
    valid: subnets.filter((s) => !s.startsWith('!')),
    exclude: subnets.filter((s) => s.startsWith('!')).map((s) => s.slice(1)),
  };
}

/** Every VIP the config shares between control planes, as a one-address subnet. */
function vipSubnets(config: V1Alpha1Config): string[] {
  const vips = config.machine.network.interfaces.flatMap((i) => [
    ...(i.vip ? [i.vip.ip] : []),
    ...i.vlans.flatMap((v) => (v.vip ? [v.vip.ip] : [])),
  ]);
  return vips.map((ip) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`));
}

/** The EtcdConfig a machine config asks for. */
function etcdConfigFrom(config: V1Alpha1Config): EtcdConfig['spec'] {
  const etcd = config.cluster.etcd;
  const advertise = splitSubnets(etcd.advertisedSubnets);
  const listen = splitSubnets(etcd.listenSubnets);
  return EtcdConfigs.make(etcdId, {
    advertiseValidSubnets: advertise.valid,
    advertiseExcludeSubnets: [...advertise.exclude, ...vipSubnets(config)],
    listenValidSubnets: listen.valid,
    listenExcludeSubnets: listen.exclude,
    image: etcd.image ?? '',
    extraArgs: etcd.extraArgs,
    ...(etcd.clientPort === undefined ? {} : { clientPort: etcd.clientPort }),
    ...(etcd.peerPort === undefined ? {} : { peerPort: etcd.peerPort }),
    joinEndpoints: etcd.joinEndpoints ?? [],
  }).spec;
}

/**
 * `etcd.ConfigController`: EtcdConfig from the active machine config's `cluster.etcd`, on control
 * planes only (a worker has none); every VIP is excluded from the advertised addresses.
 */
export function etcdConfigController(): ControllerDefinition {
  return defineController({
    name: 'etcd.ConfigController',
    inputs: [input.weak(MachineConfigs)],
    outputs: [output.exclusive(EtcdConfigs)],
    async reconcile(ctx) {
      const config = (await ctx.list(MachineConfigs.kind())).find(
        (c) => c.metadata.id === activeMachineConfigId && c.metadata.phase === 'running',
      );
      ctx.trackOutputs();
      if (config !== undefined && isControlPlane(config.spec.machine.type)) {
        const spec = etcdConfigFrom(config.spec);
        await ctx.modify(EtcdConfigs.make(etcdId, spec), (d) => {
          d.spec = spec;
        });
      }
      await ctx.cleanupOutputs(EtcdConfigs.kind());
    },
  });
}
