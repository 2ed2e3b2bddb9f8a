import { type AnyResourceDefinition, definedResources } from '../resource/define-resource.js';
import { DefinitionRegistry } from '../resource/definition-registry.js';
import { Namespaces, ResourceDefinitions } from '../resource/meta.js';

/**
 * The definitions a new store validates with: exactly `definitions` (plus the meta types) when
 * given, else every definition `defineResource` makes in this process, now or later. Either way,
 * the store's own registrations come on top, and a second, different definition of a type is refused.
 */
export function storeDefinitions(
  definitions: readonly AnyResourceDefinition[] | undefined,
): DefinitionRegistry<AnyResourceDefinition> {
  if (definitions === undefined) return new DefinitionRegistry<AnyResourceDefinition>([], definedResources);
  if (!Array.isArray(definitions)) throw new TypeError('definitions must be a list of resource definitions');
  return new DefinitionRegistry<AnyResourceDefinition>([ResourceDefinitions, Namespaces, ...definitions]);
}
