import type { Command, Option } from 'commander';
import { CliError, exitCodes } from './exit-codes.js';

/** The shells `converge completion` writes scripts for. */
const shells = ['bash', 'zsh', 'fish'] as const;

/** One command of the tree: its path of names, subcommands and options. */
interface Node {
  readonly path: string;
  readonly commands: readonly { name: string; description: string }[];
  readonly options: readonly Option[];
}

/** Every command with its subcommands and the options it takes (its own and the inherited ones). */
function walk(command: Command, path: string[] = [], inherited: readonly Option[] = []): Node[] {
  const own = command.options as readonly Option[];
  const options = [...own, ...inherited.filter((o) => !own.some((p) => p.long === o.long))];
  const subcommands = (command.commands as readonly Command[]).filter(
    (c) => !(c as Command & { _hidden?: boolean })._hidden,
  );
  const node: Node = {
    path: path.join(' '),
    commands: subcommands.map((c) => ({ name: c.name(), description: c.description() })),
    options,
  };
  // Options of the root (connection flags) apply to every command.
  const passDown = path.length === 0 ? own.filter((o) => o.long !== '--version') : inherited;
  return [node, ...subcommands.flatMap((c) => walk(c, [...path, c.name()], passDown))];
}

function flags(option: Option): string[] {
  return [option.short, option.long].filter((f): f is string => f !== undefined);
}

const words = (list: readonly string[]) => list.join(' ');
const single = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(nodes: readonly Node[]): string {
  const commands = nodes.map(
    (n) => `    ${JSON.stringify(n.path)}) echo ${single(words(n.commands.map((c) => c.name)))} ;;`,
  );
  const options = nodes.map(
    (n) => `    ${JSON.stringify(n.path)}) echo ${single(words([...n.options.flatMap(flags), '--help']))} ;;`,
  );
  return `# converge completion for bash: source <(converge completion bash)
_converge_commands() {
  case "$1" in
${commands.join('\n')}
  esac
}
_converge_options() {
  case "$1" in
${options.join('\n')}
  esac
}
_converge() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w c i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    for c in $(_converge_commands "$path"); do
      if [[ $c == "$w" ]]; then
        path="\${path:+$path }$w"
        break
      fi
    done
  done
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_converge_options "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_converge_commands "$path")" -- "$cur"))
  fi
}
complete -o default -F _converge converge
`;
}

function zsh(nodes: readonly Node[]): string {
  const described = (name: string, description: string) =>
    single(`${name.replace(/:/g, '\\:')}:${description.replace(/\n.*/s, '')}`);
  const commands = nodes.map(
    (n) =>
      `    ${JSON.stringify(n.path)}) items=(${n.commands.map((c) => described(c.name, c.description)).join(' ')}) ;;`,
  );
  const options = nodes.map(
    (n) =>
      `    ${JSON.stringify(n.path)}) items=(${n.options
        .flatMap((o) => flags(o).map((f) => described(f, o.description)))
        .concat(described('--help', 'show help'))
        .join(' ')}) ;;`,
  );
  return `#compdef converge
# converge completion for zsh: source <(converge completion zsh)
_converge() {
  local -a items
  local path="" w c
  for w in \${words[2,CURRENT-1]}; do
    [[ $w == -* ]] && continue
    _converge_commands "$path"
    for c in \${items%%:*}; do
      if [[ $c == "$w" ]]; then
        path="\${path:+$path }$w"
        break
      fi
    done
  done
  if [[ \${words[CURRENT]} == -* ]]; then
    _converge_options "$path"
    _describe 'option' items
  else
    _converge_commands "$path"
    _describe 'command' items
  fi
}
_converge_commands() {
  items=()
  case "$1" in
${commands.join('\n')}
  esac
}
_converge_options() {
  items=()
  case "$1" in
${options.join('\n')}
  esac
}
compdef _converge converge
`;
}

function fish(nodes: readonly Node[]): string {
  const lines = [
    '# converge completion for fish: converge completion fish | source',
    'complete -c converge -f',
  ];
  for (const node of nodes) {
    const names = node.path === '' ? [] : node.path.split(' ');
    const after =
      names.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${names.at(-1)}${
            node.commands.length > 0
              ? `; and not __fish_seen_subcommand_from ${words(node.commands.map((c) => c.name))}`
              : ''
          }`;
    for (const c of node.commands) {
      lines.push(`complete -c converge -n ${single(after)} -a ${single(c.name)} -d ${single(c.description)}`);
    }
    for (const o of node.options) {
      const parts = ['complete -c converge'];
      if (names.length > 0) parts.push(`-n ${single(`__fish_seen_subcommand_from ${names.at(-1)}`)}`);
      if (o.short !== undefined) parts.push(`-s ${o.short.slice(1)}`);
      if (o.long !== undefined) parts.push(`-l ${o.long.slice(2)}`);
      if (o.required || o.optional) parts.push('-r');
      parts.push(`-d ${single(o.description)}`);
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `converge completion <shell>`: a completion script made from the command tree. */
export function completionScript(program: Command, shell: string): string {
  const nodes = walk(program);
  switch (shell) {
    case 'bash':
      return bash(nodes);
    case 'zsh':
      return zsh(nodes);
    case 'fish':
      return fish(nodes);
    default:
      throw new CliError(
        `completion: unknown shell ${JSON.stringify(shell)}: use ${shells.join(', ')}`,
        exitCodes.usage,
      );
  }
}
