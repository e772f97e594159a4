// Shell completion scripts generated from the commander tree: each script walks the words typed so far through
// the command names (aliases included) and offers the subcommands, or the flags when the word starts with "-".
import type { Command } from "commander";

export type Shell = "bash" | "zsh" | "fish";
export const SHELLS: readonly Shell[] = ["bash", "zsh", "fish"];

interface Node {
  /** The command path, e.g. "bucketops get source". */
  key: string;
  /** Subcommand names (aliases included). */
  subcommands: string[];
  /** Long and short flags, --help included. */
  flags: string[];
  /** The path each subcommand word (or alias) leads to. */
  edges: { word: string; to: string }[];
}

function nodes(command: Command, key: string = command.name()): Node[] {
  const flags = [
    "--help",
    ...command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)),
  ];
  const edges: Node["edges"] = [];
  const children: Node[] = [];
  for (const sub of command.commands) {
    const to = `${key} ${sub.name()}`;
    for (const word of [sub.name(), ...sub.aliases()]) edges.push({ word, to });
    children.push(...nodes(sub, to));
  }
  return [{ key, subcommands: edges.map((e) => e.word), flags: [...new Set(flags)], edges }, ...children];
}

/** The completion script of `shell` for `program`'s commands and flags. */
export function completionScript(program: Command, shell: Shell): string {
  const all = nodes(program);
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
  const transitions = all.flatMap((n) => n.edges.map((e) => ({ from: `${n.key}/${e.word}`, to: e.to })));
  if (shell === "fish") return fishScript(name, fn, all, transitions);
  const walkCases = transitions.map((t) => `      "${t.from}") key="${t.to}" ;;`).join("\n");
  const listCases = all
    .map((n) => `    "${n.key}") subs="${n.subcommands.join(" ")}"; flags="${n.flags.join(" ")}" ;;`)
    .join("\n");
  const body = (first: string, word: string, cur: string, reply: string): string =>
    [
      `${fn}() {`,
      `  local cur="${cur}" key="${name}" subs="" flags="" i w`,
      `  for ((i = ${first}; i < ${word}; i++)); do`,
      `    w="\${${shell === "bash" ? "COMP_WORDS" : "words"}[i]}"`,
      `    case "$key/$w" in`,
      walkCases,
      "    esac",
      "  done",
      '  case "$key" in',
      listCases,
      "  esac",
      reply,
      "}",
    ].join("\n");
  if (shell === "bash")
    return `# bash completion for ${name}: source <(${name} completion bash)\n${body(
      "1",
      "COMP_CWORD",
      "${COMP_WORDS[COMP_CWORD]}",
      '  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); else COMPREPLY=($(compgen -W "$subs" -- "$cur")); fi',
    )}\ncomplete -F ${fn} ${name}\n`;
  return `#compdef ${name}\n# zsh completion for ${name}: source <(${name} completion zsh), or save as _${name} in $fpath\n${body(
    "2",
    "CURRENT",
    "${words[CURRENT]}",
    '  if [[ "$cur" == -* ]]; then compadd -- ${=flags}; else compadd -- ${=subs}; fi',
  )}\nif (( $+functions[compdef] )); then compdef ${fn} ${name}; fi\n`;
}

function fishScript(
  name: string,
  fn: string,
  all: Node[],
  transitions: { from: string; to: string }[],
): string {
  return [
    `# fish completion for ${name}: ${name} completion fish | source`,
    `function ${fn}_complete`,
    "    set -l tokens (commandline -opc)",
    "    set -l cur (commandline -ct)",
    `    set -l key "${name}"`,
    "    for w in $tokens[2..-1]",
    '        switch "$key/$w"',
    ...transitions.map((t) => `            case "${t.from}"\n                set key "${t.to}"`),
    "        end",
    "    end",
    "    set -l subs",
    "    set -l flags",
    '    switch "$key"',
    ...all.map(
      (n) =>
        `        case "${n.key}"\n            set subs ${n.subcommands.join(" ")}\n            set flags ${n.flags.join(" ")}`,
    ),
    "    end",
    "    if string match -q -- '-*' \"$cur\"",
    "        printf '%s\\n' $flags",
    "    else",
    "        printf '%s\\n' $subs",
    "    end",
    "end",
    `complete -c ${name} -f -a '(${fn}_complete)'`,
    "",
  ].join("\n");
}
