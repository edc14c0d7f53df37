#!/usr/bin/env node
// The Node check comes before anything else is loaded: on an older Node the first import of node:sqlite (or a
// dependency's own check) would fail with a line that does not say what to do.
import { nodeSupportProblem } from '../dist/cli/node-support.js';

const problem = nodeSupportProblem();
if (problem) {
  process.stderr.write(`gatehouse: ${problem}\n`);
  process.exit(2);
}
const { main } = await import('../dist/cli/main.js');
await main(process.argv);
