import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';

/** One CLI command: `kpi-stream <name> [args]`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text shown by `kpi-stream <name> --help`. */
  readonly usage: string;
  /** Resolves to the process exit code. */
  run(args: string[], context: CommandContext): Promise<number>;
}

export interface CommandContext {
  readonly config: Config;
  readonly log: Logger;
}
