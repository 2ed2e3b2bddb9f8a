/**
 * The kubelet service (research §4.4): waits for its spec, its secrets and time sync, writes its
 * files, records what it starts from in `KubeletStatus`, runs the configured kubelet binary and
 * checks its `/healthz`. `k8s.KubeletServiceController` restarts it when its inputs change.
 */
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { merge } from 'rxjs';
import { defaultHealthzPort } from '../../controllers/k8s/kubelet-configuration.js';
import { kubeletPaths } from '../../controllers/k8s/kubelet-files.js';
import { kubeletInputsDigest } from '../../controllers/k8s/kubelet-inputs-digest.js';
import { type KubeletSpec, KubeletSpecs } from '../../resources/k8s/kubelet-spec.js';
import { KubeletStatuses } from '../../resources/k8s/kubelet-status.js';
import { kubeletId } from '../../resources/k8s/namespace.js';
import { KubeletSecrets, kubeletSecretsId } from '../../resources/secrets/kubelet.js';
import { TimeStatuses, timeStatusId } from '../../resources/time/time-status.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { Pointer } from '../../runtime/resource/pointer.js';
import type { Resource } from '../../runtime/resource/resource.js';
import type { State } from '../../runtime/state/state.js';
import type { HealthCheck, ServiceDefinition } from '../supervisor/service.js';
import { writeKubeletFiles } from './kubelet-files.js';

/** The id of the kubelet service. */
export const kubeletServiceId = 'kubelet';

/** The stand-in kubelet shipped with the package: what runs when the node is given no kubelet binary. */
export const standInKubeletPath = fileURLToPath(new URL('../../../bin/converge-kubelet', import.meta.url));

async function find<TDef extends AnyResourceDefinition>(
  state: State,
  pointer: Pointer<TDef>,
): Promise<Resource<TDef> | undefined> {
  return undefinedIfNotFound(state.get(pointer));
}

/** GET `url`; resolves on 200, rejects otherwise. No keep-alive: a check leaves no socket behind. */
function httpOk(url: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, signal }, (response) => {
      response.resume();
      if (response.statusCode === 200) resolve();
      else reject(new Error(`${url}: HTTP ${response.statusCode}`));
    });
    request.once('error', reject);
  });
}

/** The kubelet's `/healthz` as its KubeletConfiguration places it. */
function healthzUrl(spec: KubeletSpec['spec']): string {
  const host =
    typeof spec.config.healthzBindAddress === 'string' ? spec.config.healthzBindAddress : '127.0.0.1';
  const port = typeof spec.config.healthzPort === 'number' ? spec.config.healthzPort : defaultHealthzPort;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
}

/** Options of {@link kubeletService}. */
export interface KubeletServiceOptions {
  /** The kubelet program (a path or a name on PATH); default the stand-in kubelet. */
  readonly binary?: string;
}

/** What the kubelet service uses of its node. */
export interface KubeletServiceContext {
  readonly state: State;
  /** The kubelet's files go to `<stateDir>/kubelet/`. */
  readonly stateDir: string;
}

/** The kubelet service definition of a node. */
export function kubeletService(
  context: KubeletServiceContext,
  options: KubeletServiceOptions = {},
): ServiceDefinition {
  const { state } = context;
  const paths = kubeletPaths(context.stateDir);
  let started: KubeletSpec['spec'] | undefined;
  const health: HealthCheck = {
    initialDelayMs: 2_000,
    periodMs: 5_000,
    timeoutMs: 1_000,
    check: (signal) =>
      started ? httpOk(healthzUrl(started), signal) : Promise.reject(new Error('not started')),
  };
  return {
    id: kubeletServiceId,
    condition: {
      async missing() {
        const missing: string[] = [];
        if (!(await find(state, KubeletSpecs.pointer(kubeletId)))) missing.push('kubelet spec');
        if (!(await find(state, KubeletSecrets.pointer(kubeletSecretsId))))
          missing.push('kubelet secrets (cluster.controlPlane.endpoint)');
        if (!(await find(state, TimeStatuses.pointer(timeStatusId)))?.spec.synced) missing.push('time sync');
        return missing;
      },
      changes: () =>
        merge(
          state.watchKind(KubeletSpecs.kind()),
          state.watchKind(KubeletSecrets.kind()),
          state.watchKind(TimeStatuses.kind()),
        ),
    },
    async preFunc() {
      const spec = await find(state, KubeletSpecs.pointer(kubeletId));
      const secrets = await find(state, KubeletSecrets.pointer(kubeletSecretsId));
      if (!spec || !secrets) throw new Error('the kubelet spec or secrets went away');
      await writeKubeletFiles(paths, spec.spec, secrets.spec);
      await state.modify(KubeletStatuses.make(kubeletId, {}), (d) => {
        d.spec.image = spec.spec.image;
        d.spec.nodename = spec.spec.expectedNodename;
        d.spec.inputsDigest = kubeletInputsDigest(spec.spec, secrets.spec);
      });
      started = spec.spec;
    },
    process() {
      if (!started) throw new Error('the kubelet was not prepared');
      return { id: kubeletServiceId, command: options.binary ?? standInKubeletPath, args: [...started.args] };
    },
    restart: { kind: 'forever', intervalMs: 5_000 },
    health,
    userControllable: true,
  };
}
