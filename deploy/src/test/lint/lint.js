#!/usr/bin/env node
// Lints Dockerfiles with dockerfile-utils (the linter of the VS Code Docker language server) and
// describes each one with dockerfile-ast, its parser, so the deploy module's tests can check the images
// against the configs and the build. Prints one JSON array on stdout:
//   [{"file", "problems": [{"line", "severity", "message"}],
//     "instructions": [{"stage", "line", "keyword", "flags": {name: value}, "args": [...], "json": [...] | null}]}]
// "stage" is the build stage name (or the FROM index); "json" holds the strings of an exec-form instruction.
'use strict';
const fs = require('fs');
const { validate, ValidationSeverity } = require('dockerfile-utils');
const { DockerfileParser } = require('dockerfile-ast');

// Every check dockerfile-utils has, at least a warning (its defaults ignore some).
const STRICT = {
  deprecatedMaintainer: ValidationSeverity.WARNING,
  directiveCasing: ValidationSeverity.WARNING,
  emptyContinuationLine: ValidationSeverity.WARNING,
  instructionCasing: ValidationSeverity.WARNING,
  instructionCmdMultiple: ValidationSeverity.WARNING,
  instructionEntrypointMultiple: ValidationSeverity.WARNING,
  instructionHealthcheckMultiple: ValidationSeverity.WARNING,
  instructionJSONInSingleQuotes: ValidationSeverity.WARNING,
  instructionWorkdirRelative: ValidationSeverity.WARNING,
};

function describe(file) {
  const content = fs.readFileSync(file, 'utf8');
  const problems = validate(content, STRICT).map((d) => ({
    line: d.range.start.line + 1,
    severity: d.severity === 1 ? 'error' : 'warning',
    message: d.message,
  }));
  const instructions = [];
  const dockerfile = DockerfileParser.parse(content);
  let stage = null;
  let index = -1;
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      index++;
      stage = instruction.getBuildStage() || String(index);
    }
    const flags = {};
    for (const flag of instruction.getFlags ? instruction.getFlags() : []) {
      flags[flag.getName()] = flag.getValue();
    }
    let json = instruction.getJSONStrings && instruction.getOpeningBracket()
      ? instruction.getJSONStrings().map((s) => s.getJSONValue())
      : null;
    if (keyword === 'HEALTHCHECK') {
      // dockerfile-ast has no exec form for HEALTHCHECK CMD [...]: read it as JSON ("CMD" and the strings).
      const exec = /\bCMD\s+(\[[\s\S]*\])\s*$/.exec(instruction.getArgumentsContent() || '');
      json = exec ? ['CMD', ...JSON.parse(exec[1])] : null;
    }
    instructions.push({
      stage,
      line: instruction.getRange().start.line + 1,
      keyword,
      flags,
      args: instruction.getArguments().map((a) => a.getValue()),
      json,
    });
  }
  return { file, problems, instructions };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: lint.js DOCKERFILE...');
  process.exit(2);
}
process.stdout.write(JSON.stringify(files.map(describe)) + '\n');
