export declare const REPO_ROOT: string;
export declare const BUILT_PACKAGES: readonly string[];
export declare const BUILD_STAMP: string;
export declare function staleDistReason(): string | undefined;
