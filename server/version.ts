import pkg from '../package.json' with { type: 'json' };

/** Tock's version, as package.json gives it (reported by health routes). */
export const TOCK_VERSION: string = pkg.version;
