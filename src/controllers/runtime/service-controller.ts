import type { Observable } from 'rxjs';
import type { ServiceStatus } from '../../node/supervisor/service-runner.js';
import { Services } from '../../resources/runtime/service.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { output } from '../../runtime/controller/inputs.js';

/** What the controller reads of the supervisor. */
export interface ServiceStatusSource {
  /** Every loaded service's status. */
  list(): readonly ServiceStatus[];
  /** Emits when a service's state or health changes. */
  changes(): Observable<unknown>;
}

/**
 * `v1alpha1.ServiceController`: mirrors the supervisor into `Services.v1alpha1.talos.dev`: a
 * resource per running service with its health, none for a service in any other state.
 */
export function serviceController(services: ServiceStatusSource): ControllerDefinition {
  return defineController({
    name: 'v1alpha1.ServiceController',
    inputs: [],
    outputs: [output.exclusive(Services)],
    sources: [source('services', () => services.changes())],
    async reconcile(ctx) {
      ctx.trackOutputs();
      for (const s of services.list()) {
        if (s.state !== 'Running') continue;
        await ctx.modify(Services.make(s.id, {}), (d) => {
          d.spec.running = true;
          d.spec.healthy = s.healthy === true;
          d.spec.unknown = s.healthy === undefined;
        });
      }
      await ctx.cleanupOutputs(Services.kind());
    },
  });
}
