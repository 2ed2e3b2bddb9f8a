import {
  activeMachineConfigId,
  type MachineConfigSpec,
  MachineConfigs,
} from '../../resources/config/machine-config.js';
import type { ReadContext } from '../../runtime/controller/read-context.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';

/** The active machine config's spec, or `undefined` without one (maintenance) or while it is torn down. */
export async function activeConfig(ctx: ReadContext): Promise<MachineConfigSpec | undefined> {
  const config = await undefinedIfNotFound(ctx.get(MachineConfigs.pointer(activeMachineConfigId)));
  return config?.metadata.phase === 'running' ? config.spec : undefined;
}
