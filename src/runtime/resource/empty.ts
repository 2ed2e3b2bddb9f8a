/**
 * The frozen empty values every resource without labels, annotations or finalizers shares, from one
 * place so that the store can recognise them by identity and skip checking them. Labels and
 * annotations get distinct objects so a deep clone that keeps sharing cannot alias them. @internal
 */
export const emptyLabels: Readonly<Record<string, string>> = Object.freeze({});
/** @internal */
export const emptyAnnotations: Readonly<Record<string, string>> = Object.freeze({});
/** @internal */
export const emptyFinalizers: readonly string[] = Object.freeze([]);
