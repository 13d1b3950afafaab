// Types of scripts/node.mjs for the TypeScript that imports it (tests).
export declare const PINNED_RELEASES: readonly string[];
export declare function supportedRange(): string;
export declare function satisfies(version: string, range: string): boolean;
export declare function installedRelease(version: string): string;
export declare function supportedNodeBin(): string;
export declare function withNodeFirst(bin: string, env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
