import { KubeletConfigs } from '../../resources/k8s/kubelet-config.js';
import { KubeletSpecs } from '../../resources/k8s/kubelet-spec.js';
import { kubeletId } from '../../resources/k8s/namespace.js';
import { NodeIPs } from '../../resources/k8s/node-ip.js';
import { Nodenames, nodenameId } from '../../resources/k8s/nodename.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import type { ReadContext } from '../../runtime/controller/read-context.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import { KubeletConfigError, kubeletConfiguration } from './kubelet-configuration.js';
import type { KubeletPaths } from './kubelet-files.js';

/** Flags the node sets to its own files: `extraArgs` may not change them. */
const deniedArgs = ['bootstrap-kubeconfig', 'kubeconfig', 'config', 'cert-dir'];

/** The kubelet's flags, `--name=value` sorted by name: the node's own, then the user's extra ones. */
function kubeletArgs(
  paths: KubeletPaths,
  nodename: string,
  nodeIPs: readonly string[],
  extraArgs: Readonly<Record<string, string>>,
): string[] {
  for (const name of deniedArgs) {
    if (name in extraArgs) {
      throw new KubeletConfigError(
        `machine.kubelet.extraArgs.${name} is set by the node and cannot be overridden`,
      );
    }
  }
  const args: Record<string, string> = {
    'bootstrap-kubeconfig': paths.bootstrapKubeconfig,
    'cert-dir': paths.certDir,
    config: paths.config,
    'hostname-override': nodename,
    kubeconfig: paths.kubeconfig,
    'node-ip': nodeIPs.join(','),
    ...extraArgs,
  };
  return Object.keys(args)
    .sort()
    .map((name) => `--${name}=${args[name]}`);
}

/** Reads the spec's three inputs; `undefined` while one is missing (the kubelet then waits). */
async function inputs(ctx: ReadContext) {
  const config = await undefinedIfNotFound(ctx.get(KubeletConfigs.pointer(kubeletId)));
  const nodename = await undefinedIfNotFound(ctx.get(Nodenames.pointer(nodenameId)));
  const nodeIP = await undefinedIfNotFound(ctx.get(NodeIPs.pointer(kubeletId)));
  if (config === undefined || nodename === undefined || nodeIP === undefined) return undefined;
  if (nodeIP.spec.addresses.length === 0) return undefined;
  return { config: config.spec, nodename: nodename.spec.nodename, nodeIPs: nodeIP.spec.addresses };
}

/**
 * `k8s.KubeletSpecController`: `KubeletSpec/kubelet` (image, flags, KubeletConfiguration) from
 * KubeletConfig, Nodename and NodeIP; none while one of them is missing. A protected
 * `extraConfig` field or a denied `extraArgs` flag fails the reconcile with a clear error and
 * leaves the last spec in place.
 */
export function kubeletSpecController(paths: KubeletPaths): ControllerDefinition {
  return defineController({
    name: 'k8s.KubeletSpecController',
    inputs: [
      input.weak(KubeletConfigs, { id: kubeletId }),
      input.weak(Nodenames, { id: nodenameId }),
      input.weak(NodeIPs, { id: kubeletId }),
    ],
    outputs: [output.exclusive(KubeletSpecs)],
    async reconcile(ctx) {
      const found = await inputs(ctx);
      if (found === undefined) {
        ctx.trackOutputs();
        await ctx.cleanupOutputs(KubeletSpecs.kind());
        return;
      }
      const args = kubeletArgs(paths, found.nodename, found.nodeIPs, found.config.extraArgs);
      const document = kubeletConfiguration(found.config, paths);
      await ctx.modify(KubeletSpecs.make(kubeletId, {}), (d) => {
        d.spec.image = found.config.image;
        d.spec.args = args;
        d.spec.expectedNodename = found.nodename;
        d.spec.config = document;
      });
    },
  });
}
