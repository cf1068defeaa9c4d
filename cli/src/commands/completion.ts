// `pipewarden completion bash|zsh`: a completion script generated from the command tree
// itself, so it can never list a command or option the CLI does not have.
import type { Command } from 'commander';
import { core } from '../lazy';

/** Every command path ('' for the root, 'loader serve', …) and the words that may follow it. */
function completionTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const walk = (cmd: Command, path: string) => {
    const options = cmd.options.flatMap((o) => [o.short, o.long]).filter((f): f is string => Boolean(f));
    table.set(path, [...cmd.commands.map((c) => c.name()), ...options, '--help']);
    for (const c of cmd.commands) walk(c, path ? `${path} ${c.name()}` : c.name());
  };
  walk(program, '');
  return table;
}

function bashCompletion(program: Command): string {
  const table = completionTable(program);
  const cases = [...table].map(([path, words]) => `    '${path}') words='${words.join(' ')}' ;;`).join('\n');
  const paths = [...table.keys()].filter(Boolean).map((p) => `'${p}'`).join('|');
  return `# pipewarden completion for bash: eval "$(pipewarden completion bash)" in ~/.bashrc
_pipewarden() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path='' next words i
  # The command path is the longest run of known command names; option values are skipped.
  for ((i = 1; i < COMP_CWORD; i++)); do
    next=\${path:+$path }\${COMP_WORDS[i]}
    case "$next" in
      ${paths}) path=$next ;;
    esac
  done
  case "$path" in
${cases}
    *) words='' ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _pipewarden pipewarden
`;
}

function zshCompletion(program: Command): string {
  // zsh runs the bash function through its bashcompinit layer: one generator, one behaviour.
  return `#compdef pipewarden
# pipewarden completion for zsh: eval "$(pipewarden completion zsh)" in ~/.zshrc
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).split('\n').slice(1).join('\n')}`;
}

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText('after', '\nExamples:\n  $ echo \'eval "$(pipewarden completion bash)"\' >> ~/.bashrc\n  $ echo \'eval "$(pipewarden completion zsh)"\' >> ~/.zshrc\n')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(program));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
      else throw new (core().UserError)(`no completion for the shell "${shell}": pipewarden completes bash and zsh`);
    });
}
