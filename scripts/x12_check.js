#!/usr/bin/env node
// An outside opinion on X12 interchanges: parses each FILE with node-x12 in strict mode (its own
// envelope rules: ISA width, SE/GE/IEA counts and control numbers) and prints one line per
// interchange, group and transaction set. Exit status: 0 every file parsed, 1 node-x12 (or the
// TA1 check below) refused one, 2 usage.
// node-x12 is installed, pinned, by scripts/setup.sh into .tools/node_modules. It is stricter
// than X12 in one place: it refuses any segment outside a group, so a TA1 between ISA and GS
// (which X12 allows and x12::validate accepts) would fail it. Such TA1 segments are therefore
// checked here, by their fixed rules (5 elements: TA101 9 digits, TA102 YYMMDD, TA103 HHMM,
// TA104 A/E/R, TA105 3 digits), printed as "ta1 ... (checked by x12_check.js)", and left out of
// what node-x12 parses. node-x12 also refuses an interchange without groups, which a TA1
// answer alone is (ISA, TA1, IEA): such an interchange's ISA/IEA pair is checked here too (ISA
// fixed-width with its 16 elements, IEA01 0, IEA02 = ISA13).
// Usage: scripts/x12_check.js FILE...
'use strict';
const fs = require('fs');
const path = require('path');

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: scripts/x12_check.js FILE...\n');
  process.exit(2);
}
const { X12Parser } = require(path.join(__dirname, '..', '.tools', 'node_modules', 'node-x12'));

// The TA1 segments directly inside an interchange (before its first GS), checked and removed;
// returns [text without them, lines to print] or throws an Error naming the bad TA1.
function takeTa1s(text) {
  if (text.length < 106 || !text.startsWith('ISA')) return [text, []];
  const element = text[3];
  const terminator = text[105];
  const segments = text.split(terminator);
  const kept = [];
  const lines = [];
  let inGroup = false;
  for (const segment of segments) {
    const tag = segment.split(element, 1)[0];
    if (tag === 'GS') inGroup = true;
    if (tag === 'GE' || tag === 'ISA') inGroup = false;
    if (tag === 'TA1' && !inGroup) {
      const e = segment.split(element);
      const ok = e.length === 6 && /^\d{9}$/.test(e[1]) && /^\d{6}$/.test(e[2]) &&
        /^([01]\d|2[0-3])[0-5]\d$/.test(e[3]) && /^[AER]$/.test(e[4]) && /^\d{3}$/.test(e[5]);
      if (!ok) throw new Error(`malformed TA1: ${segment}`);
      lines.push(`  ta1 ${e[1]} ${e[4]} ${e[5]} (checked by x12_check.js)\n`);
      continue;
    }
    kept.push(segment);
  }
  return [kept.join(terminator), lines];
}

// An ISA TA1... IEA interchange with no group, checked here: the lines to print, or throws.
function checkTa1Only(text) {
  const element = text[3];
  const terminator = text[105];
  const segments = text.split(terminator).filter((s) => s !== '');
  const isa = segments[0].split(element);
  const widths = [3, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];
  if (segments[0].length !== 105 || isa.length !== 17 || isa.some((e, i) => e.length !== widths[i]))
    throw new Error('the ISA is not 106 fixed-width characters with 16 elements');
  if (segments.length !== 2) throw new Error(`an interchange without groups holds ${segments.length} segments besides its TA1s`);
  const iea = segments[1].split(element);
  if (iea[0] !== 'IEA' || iea.length !== 3 || parseInt(iea[1], 10) !== 0 || iea[2] !== isa[13])
    throw new Error(`IEA does not close ISA ${isa[13]} with 0 groups: ${segments[1]}`);
  return [`interchange ${parseInt(isa[13], 10)} groups 0 (checked by x12_check.js)\n`];
}

function terminator(text) {
  return text.length > 105 ? text[105] : '~';
}

let status = 0;
for (const file of files) {
  let interchange;
  let ta1Lines;
  try {
    // The library's reader stops at CR/LF only when told the terminator; provportal tolerates
    // them after terminators, so strip them here.
    const text = fs.readFileSync(file, 'latin1').replace(/\r?\n/g, '');
    let rest;
    [rest, ta1Lines] = takeTa1s(text);
    if (ta1Lines.length > 0 && !rest.includes(`${terminator(rest)}GS${rest[3]}`)) {
      const lines = ta1Lines.concat(checkTa1Only(rest));
      process.stdout.write(`${file}\n`);
      for (const line of lines) process.stdout.write(line);
      continue;
    }
    interchange = new X12Parser(true).parse(rest);
  } catch (err) {
    process.stdout.write(`x12_check: ${file}: refused: ${err.name}: ${err.message}\n`);
    status = 1;
    continue;
  }
  process.stdout.write(`${file}\n`);
  for (const line of ta1Lines) process.stdout.write(line);
  const list = Array.isArray(interchange) ? interchange : [interchange];
  for (const ix of list) {
    process.stdout.write(`interchange ${ix.header.elements[12].value} groups ${ix.functionalGroups.length}\n`);
    for (const g of ix.functionalGroups) {
      process.stdout.write(`  group ${g.header.elements[0].value} ${g.header.elements[5].value} sets ${g.transactions.length}\n`);
      for (const t of g.transactions)
        process.stdout.write(`    set ${t.header.elements[0].value} ${t.header.elements[1].value} segments ${t.segments.length + 2}\n`);
    }
  }
}
process.exit(status);
