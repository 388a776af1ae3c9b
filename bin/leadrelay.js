#!/usr/bin/env node
// Entry point of the `leadrelay` command. The sources are TypeScript run through tsx, so that
// `npx leadrelay …` works straight after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/index.ts');
process.exitCode = await runCli(process.argv.slice(2));
