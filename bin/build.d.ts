/** leadrelay's package directory. */
export function packageDir(): string;
/** dist/src/main.js exists and is newer than every file in src/ (and than tsconfig*.json). */
export function isBuilt(root?: string): boolean;
/** Compiles src/ into dist/ unless it is up to date (see bin/build.js). */
export function buildIfStale(root?: string, onBuild?: () => void): 'fresh' | 'built' | 'no-compiler';
