/** What COSI derives from a resource type name: its id, display name and aliases. */
export interface TypeNameInfo {
  /** The lower-cased type, the id of its `ResourceDefinition`. */
  readonly id: string;
  /** The singular CamelCase name (`ResourceDefinition`). */
  readonly displayType: string;
  /** Explicit aliases, then automatic ones (lower-case singular, capitals acronym and its plural). */
  readonly aliases: readonly string[];
  /** Every name that resolves to the type: plural, suffix prefixes, then `aliases`. */
  readonly allAliases: readonly string[];
}

const namePattern = /^[A-Z][A-Za-z0-9-]+$/;
const suffixPattern = /^[a-z][a-z0-9-]+(\.[a-z][a-z0-9-]+)*$/;

/** Turns a plural English noun into its singular (enough for resource type names). */
function singularize(word: string): string {
  const rules: [RegExp, string][] = [
    [/([^aeiou])ies$/, '$1y'],
    [/(ss|us|x|z|ch|sh)es$/, '$1'],
    [/([^s])s$/, '$1'],
  ];
  for (const [pattern, replacement] of rules) {
    if (pattern.test(word)) return word.replace(pattern, replacement);
  }
  return word;
}

/**
 * Validates a resource type name (`PluralName.suffix`) and derives its aliases, as COSI's
 * `ResourceDefinitionSpec.Fill` does. Throws an `Error` with COSI's wording when the name is malformed.
 */
export function parseTypeName(
  type: string,
  explicitAliases: readonly string[] = [],
  skipAutomaticAliases = false,
): TypeNameInfo {
  const dot = type.indexOf('.');
  if (dot < 0) throw new Error(`invalid resource type ${JSON.stringify(type)}: missing suffix`);
  const name = type.slice(0, dot);
  const suffix = type.slice(dot + 1);
  const fail = (reason: string): never => {
    throw new Error(`invalid resource type ${JSON.stringify(type)}: ${reason}`);
  };
  if (name === '') fail('name is empty');
  if (suffix === '') fail('suffix is empty');
  if (name.toLowerCase() === name) fail('name should be in CamelCase');
  if (!namePattern.test(name)) fail(`name doesn't match ${namePattern.source}`);
  if (!suffixPattern.test(suffix)) fail(`suffix doesn't match ${suffixPattern.source}`);
  const singular = singularize(name);
  if (singular === name) fail('name should be plural');

  const aliases = [...explicitAliases];
  const allAliases: string[] = [];
  if (!skipAutomaticAliases) {
    aliases.push(singular.toLowerCase());
    const lowerType = type.toLowerCase();
    const parts = lowerType.split('.');
    for (let i = 1; i < parts.length; i++) allAliases.push(parts.slice(0, i).join('.'));
    const capitals = name.replace(/[^A-Z]/g, '');
    if (capitals.length >= 2) {
      const acronym = capitals.toLowerCase();
      aliases.push(acronym);
      if (!capitals.endsWith('S')) aliases.push(`${acronym}s`);
    }
  }
  return {
    id: type.toLowerCase(),
    displayType: singular,
    aliases: unique(aliases),
    allAliases: unique([...allAliases, ...aliases]),
  };
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}
