#!/usr/bin/env node
// The `tock` command. Runs the TypeScript sources through tsx, like `npm start`.
import { register } from 'tsx/esm/api';

register();
await import('../server/cli/main.ts');
