#!/usr/bin/env node
// An outside opinion on an X12 interchange: parses FILE with node-x12 in strict mode (its own
// envelope rules: ISA width, SE/GE/IEA counts and control numbers) and prints one line per
// interchange, group and transaction set. Exit status: 0 parsed, 1 node-x12 refused it, 2 usage.
// node-x12 is installed, pinned, by scripts/setup.sh into .tools/node_modules. It is stricter
// than X12 in one place: it refuses a TA1 between ISA and GS, which X12 allows (x12::validate
// accepts it).
// Usage: scripts/x12_check.js FILE
'use strict';
const fs = require('fs');
const path = require('path');

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  process.stderr.write('usage: scripts/x12_check.js FILE\n');
  process.exit(2);
}
const { X12Parser } = require(path.join(__dirname, '..', '.tools', 'node_modules', 'node-x12'));

let interchange;
try {
  // The library's reader stops at CR/LF only when told the terminator; provportal tolerates
  // them after terminators, so strip them here.
  const text = fs.readFileSync(file, 'latin1').replace(/\r?\n/g, '');
  interchange = new X12Parser(true).parse(text);
} catch (err) {
  process.stdout.write(`x12_check: ${file}: refused: ${err.name}: ${err.message}\n`);
  process.exit(1);
}
const list = Array.isArray(interchange) ? interchange : [interchange];
for (const ix of list) {
  process.stdout.write(`interchange ${ix.header.elements[12].value} groups ${ix.functionalGroups.length}\n`);
  for (const g of ix.functionalGroups) {
    process.stdout.write(`  group ${g.header.elements[0].value} ${g.header.elements[5].value} sets ${g.transactions.length}\n`);
    for (const t of g.transactions)
      process.stdout.write(`    set ${t.header.elements[0].value} ${t.header.elements[1].value} segments ${t.segments.length + 2}\n`);
  }
}
