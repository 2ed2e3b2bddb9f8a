import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { KubeletSecrets, kubeletSecretsId } from '../../resources/secrets/kubelet.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { activeConfig } from '../k8s/active-config.js';

/** A Kubernetes bootstrap token: `<id>.<secret>`, six and sixteen lower-case letters or digits. */
const bootstrapTokenPattern = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

/**
 * `secrets.KubeletController`: `KubeletSecret/kubelet` from the active config's control-plane
 * endpoint, cluster CA and bootstrap token (`cluster.token`); none while the config names no
 * endpoint. A malformed token fails the reconcile with an error naming the field.
 */
export const kubeletSecretsController: ControllerDefinition = defineController({
  name: 'secrets.KubeletController',
  inputs: [input.weak(MachineConfigs, { id: activeMachineConfigId })],
  outputs: [output.exclusive(KubeletSecrets)],
  async reconcile(ctx) {
    const config = await activeConfig(ctx);
    const endpoint = config?.cluster.controlPlane?.endpoint;
    ctx.trackOutputs();
    if (config !== undefined && endpoint !== undefined) {
      const token = config.cluster.token;
      const match = token === undefined ? undefined : bootstrapTokenPattern.exec(token);
      if (token !== undefined && !match) {
        throw new Error('cluster.token is not a bootstrap token (<6 of [a-z0-9]>.<16 of [a-z0-9]>)');
      }
      await ctx.modify(KubeletSecrets.make(kubeletSecretsId, { endpoint }), (d) => {
        d.spec.endpoint = endpoint;
        d.spec.acceptedCAs = config.cluster.ca ? [config.cluster.ca.crt] : [];
        d.spec.bootstrapTokenID = match?.[1] ?? '';
        d.spec.bootstrapTokenSecret = match?.[2] ?? '';
      });
    }
    await ctx.cleanupOutputs(KubeletSecrets.kind());
  },
});
