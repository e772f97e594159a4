// `bucketops completion bash|zsh|fish`: print a completion script for the shell.
import type { Command } from "commander";
import { completionScript, SHELLS, type Shell } from "../completion.js";
import { CliError, ExitCode } from "../exit-codes.js";

/** Registers `completion`; register it last, so that the script knows every command. */
export function registerCompletion(program: Command): void {
  program
    .command("completion <shell>")
    .description(
      "print a shell completion script: bash (source <(bucketops completion bash)), zsh, or fish (| source)",
    )
    .action((shell: string) => {
      if (!SHELLS.includes(shell as Shell))
        throw new CliError(`completion ${shell}: use bash, zsh or fish`, ExitCode.Usage);
      process.stdout.write(completionScript(program, shell as Shell));
    });
}
