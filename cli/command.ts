import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { ServiceName } from '../services/index.js';

/** One CLI command: `kpi-stream <name> [args]`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text shown by `kpi-stream <name> --help`. */
  readonly usage: string;
  /**
   * The services this invocation talks to: main checks it can connect to each
   * (TLS, credentials) before `run`, so a wrong password or CA stops it at once.
   */
  needs?(args: readonly string[], config: Config): readonly ServiceName[];
  /** Resolves to the process exit code. */
  run(args: string[], context: CommandContext): Promise<number>;
}

export interface CommandContext {
  readonly config: Config;
  readonly log: Logger;
}
