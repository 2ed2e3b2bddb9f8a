import type { AnyControllerDefinition } from './define-controller.js';
import type { ExternalSource } from './external-source.js';
import type { AnyInput, ControllerOutput } from './inputs.js';

/** `register` (or `ctx.updateInputs`) refused a controller: the message says why. */
export class RegistrationError extends Error {
  readonly controller: string;
  constructor(controller: string, message: string) {
    super(`controller ${JSON.stringify(controller)}: ${message}`);
    this.name = 'RegistrationError';
    this.controller = controller;
  }
}

/** True for {@link RegistrationError}. */
export const isRegistrationError = (e: unknown): e is RegistrationError => e instanceof RegistrationError;

const fullInputKinds = new Set(['weak', 'strong', 'destroyReady']);
const queueInputKinds = new Set(['primary', 'mapped', 'mappedDestroyReady']);

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function describeDefinition(d: unknown): string {
  return typeof d === 'object' && d !== null && 'type' in d
    ? String((d as { type: unknown }).type)
    : String(d);
}

/** Checks the shape of a definition handed to `register`; throws {@link RegistrationError}. @internal */
export function checkDefinition(definition: unknown): asserts definition is AnyControllerDefinition {
  if (typeof definition !== 'object' || definition === null) {
    throw new RegistrationError(String(definition), 'not a controller definition (use defineController)');
  }
  const d = definition as Partial<AnyControllerDefinition>;
  const name = typeof d.name === 'string' ? d.name : String(d.name);
  if (!isNonEmptyString(d.name)) throw new RegistrationError(name, 'name must be a non-empty string');
  if (d.controllerType !== 'full' && d.controllerType !== 'queue') {
    throw new RegistrationError(
      name,
      'not a controller definition (use defineController or defineQController)',
    );
  }
  if (typeof d.reconcile !== 'function') throw new RegistrationError(name, 'reconcile must be a function');
  if (!Array.isArray(d.outputs)) throw new RegistrationError(name, 'outputs must be an array');
  checkInputs(name, d.controllerType, d.inputs);
  checkOutputList(name, d.outputs);
  checkSources(name, d.sources);
  if (d.controllerType === 'queue') {
    const concurrency = d.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RegistrationError(name, `concurrency must be a positive integer, got ${String(concurrency)}`);
    }
  }
}

/** Checks a controller's inputs: kinds allowed for its type, well-formed, none declared twice. @internal */
export function checkInputs(
  name: string,
  controllerType: 'full' | 'queue',
  inputs: unknown,
): asserts inputs is readonly AnyInput[] {
  if (!Array.isArray(inputs)) throw new RegistrationError(name, 'inputs must be an array');
  const allowed = controllerType === 'full' ? fullInputKinds : queueInputKinds;
  const seen = new Set<string>();
  let primaries = 0;
  for (const i of inputs as Partial<AnyInput>[]) {
    if (typeof i !== 'object' || i === null || !allowed.has(String(i.kind))) {
      const kinds = [...allowed].map((k) => `input.${k}`).join(', ');
      throw new RegistrationError(
        name,
        `input ${JSON.stringify(i?.kind)} is not allowed for a ${controllerType === 'full' ? 'full-reconcile' : 'queue'} controller (use ${kinds})`,
      );
    }
    if (!isNonEmptyString(i.type) || typeof i.definition !== 'object' || i.definition === null) {
      throw new RegistrationError(
        name,
        `input ${i.kind} needs a resource definition, got ${describeDefinition(i.definition)}`,
      );
    }
    if (!isNonEmptyString(i.namespace)) {
      throw new RegistrationError(name, `input ${i.kind} ${i.type}: namespace must be a non-empty string`);
    }
    if (i.id !== undefined && !isNonEmptyString(i.id)) {
      throw new RegistrationError(name, `input ${i.kind} ${i.type}: id must be a non-empty string`);
    }
    if ((i.kind === 'mapped' || i.kind === 'mappedDestroyReady') && typeof i.map !== 'function') {
      throw new RegistrationError(name, `input ${i.kind} ${i.type}: map must be a function`);
    }
    if (i.kind === 'primary') primaries++;
    const key = `${i.namespace}\0${i.type}\0${i.id ?? ''}`;
    if (seen.has(key)) {
      const where = `${i.type}(${i.namespace}${i.id !== undefined ? `/${i.id}` : ''})`;
      throw new RegistrationError(name, `input ${where} is declared twice`);
    }
    seen.add(key);
  }
  if (controllerType === 'queue' && primaries === 0) {
    throw new RegistrationError(name, 'a queue controller needs at least one input.primary');
  }
}

function checkOutputList(name: string, outputs: readonly Partial<ControllerOutput>[]): void {
  const seen = new Set<string>();
  for (const o of outputs) {
    if (typeof o !== 'object' || o === null || (o.kind !== 'exclusive' && o.kind !== 'shared')) {
      throw new RegistrationError(name, 'outputs must be made with output.exclusive or output.shared');
    }
    if (!isNonEmptyString(o.type) || typeof o.definition !== 'object' || o.definition === null) {
      throw new RegistrationError(
        name,
        `output ${o.kind} needs a resource definition, got ${describeDefinition(o.definition)}`,
      );
    }
    if (seen.has(o.type)) throw new RegistrationError(name, `output ${o.type} is declared twice`);
    seen.add(o.type);
  }
}

function checkSources(name: string, sources: unknown): void {
  if (sources === undefined) return;
  if (!Array.isArray(sources)) throw new RegistrationError(name, 'sources must be an array');
  const seen = new Set<string>();
  for (const s of sources as Partial<ExternalSource>[]) {
    if (typeof s !== 'object' || s === null || !isNonEmptyString(s.name) || typeof s.changes !== 'function') {
      throw new RegistrationError(name, 'sources must be made with source(name, changes)');
    }
    if (seen.has(s.name))
      throw new RegistrationError(name, `source ${JSON.stringify(s.name)} is declared twice`);
    seen.add(s.name);
  }
}
