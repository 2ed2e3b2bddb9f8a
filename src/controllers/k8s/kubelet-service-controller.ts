import { KubeletSpecs } from '../../resources/k8s/kubelet-spec.js';
import { KubeletStatuses } from '../../resources/k8s/kubelet-status.js';
import { kubeletId } from '../../resources/k8s/namespace.js';
import { Services } from '../../resources/runtime/service.js';
import { KubeletSecrets, kubeletSecretsId } from '../../resources/secrets/kubelet.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input } from '../../runtime/controller/inputs.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import { kubeletInputsDigest } from './kubelet-inputs-digest.js';

/** What the controller needs of the node's supervisor. */
export interface KubeletServiceHandle {
  /** Whether the kubelet service is running a process now. */
  isRunning(): boolean;
  /** Stops the kubelet and starts it again (it rewrites its files from the current spec as it starts). */
  restart(): Promise<void>;
}

/**
 * `k8s.KubeletServiceController`: restarts the running kubelet when its KubeletSpec or its secrets
 * differ from what it was started from (`KubeletStatus.inputsDigest`, written by the service as it
 * starts), or are gone. Equal inputs restart nothing, so an unrelated config change or a second
 * address leaves the kubelet alone; a new node IP restarts it once.
 */
export function kubeletServiceController(kubelet: KubeletServiceHandle): ControllerDefinition {
  return defineController({
    name: 'k8s.KubeletServiceController',
    inputs: [
      input.weak(KubeletSpecs, { id: kubeletId }),
      input.weak(KubeletSecrets, { id: kubeletSecretsId }),
      input.weak(KubeletStatuses, { id: kubeletId }),
      input.weak(Services, { id: 'kubelet' }),
    ],
    outputs: [],
    async reconcile(ctx) {
      const status = await undefinedIfNotFound(ctx.get(KubeletStatuses.pointer(kubeletId)));
      if (status === undefined || !kubelet.isRunning()) return;
      const spec = await undefinedIfNotFound(ctx.get(KubeletSpecs.pointer(kubeletId)));
      const secrets = await undefinedIfNotFound(ctx.get(KubeletSecrets.pointer(kubeletSecretsId)));
      const digest = spec && secrets ? kubeletInputsDigest(spec.spec, secrets.spec) : '';
      if (digest === status.spec.inputsDigest) return;
      ctx.log.info(
        { reason: digest === '' ? 'kubelet spec or secrets removed' : 'kubelet spec or secrets changed' },
        'restarting the kubelet',
      );
      await kubelet.restart();
    },
  });
}
