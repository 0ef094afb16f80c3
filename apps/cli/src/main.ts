import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isGlassboxError } from '@glassbox/core';
import { batchCommand } from './commands/batch.js';
import { evaluateCommand } from './commands/evaluate.js';
import { predictCommand } from './commands/predict.js';
import { parsePositiveInt } from './commands/shared.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function intOption(name: string) {
  const parse = parsePositiveInt(name);
  return (v: string) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

function engineOptions(cmd: Command): Command {
  return cmd
    .option('--model <dir>', 'model bundle directory (default: models/emotion-mini, or $GLASSBOX_MODEL)')
    .option('--batch-size <n>', 'sequences per forward pass', intOption('--batch-size'))
    .option('--threads <n>', 'ONNX Runtime intra-op threads', intOption('--threads'))
    .addOption(new Option('--long-text <mode>', 'texts longer than the model maximum').choices(['truncate', 'chunk']).default('truncate'));
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('glassbox')
    .description('Audit, calibrate and monitor a transformer text classifier (ONNX Runtime, Node).')
    .version('0.1.0')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`glassbox: ${s.replace(/^error: /, '').trim()}\n`),
    });

  engineOptions(
    program
      .command('predict')
      .description('classify texts and print the label, score and probabilities')
      .argument('<text...>', 'texts to classify')
      .option('--top-k <n>', 'labels to show per text (with --json: adds top_k)', intOption('--top-k'))
      .option('--json', 'print a JSON array: text, label, score, probabilities'),
  ).action(async (texts: string[], flags) => {
    await predictCommand(texts, flags, io.stdout);
  });

  engineOptions(
    program
      .command('batch')
      .description('classify every row of a CSV, TSV or JSONL file into JSONL or CSV, streaming')
      .requiredOption('--in <file>', 'input file (.csv, .tsv, .jsonl)')
      .requiredOption('--out <file>', 'output file (.jsonl or .csv); written atomically')
      .option('--text-column <name>', 'column or field holding the text (default "text")')
      .addOption(new Option('--format <format>', 'input format when the extension does not say').choices(['csv', 'tsv', 'jsonl']))
      .option('--summary-json <file>', 'also write the aggregate summary as JSON')
      .option('--no-progress', 'no progress bar on stderr'),
  ).action(async (flags) => {
    await batchCommand(flags, io.stdout);
  });

  engineOptions(
    program
      .command('evaluate')
      .description('accuracy, macro-F1, per-class F1 and confusion on labeled data')
      .requiredOption('--data <file>', 'GoEmotions TSV, or CSV/JSONL with text and label (name or id)')
      .option('--json', 'print n, skipped, accuracy, macro_f1, per_class, confusion as JSON')
      .option('--text-column <name>', 'column or field holding the text (default "text")')
      .option('--label-column <name>', 'column or field holding the label (default "label")')
      .addOption(new Option('--format <format>', 'input format when the extension does not say').choices(['csv', 'tsv', 'jsonl'])),
  ).action(async (flags) => {
    await evaluateCommand(flags, io.stdout);
  });

  return program;
}

/** Runs the CLI; resolves to the exit code. Errors become one line on stderr. */
export async function runCli(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed as one line
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isGlassboxError(e)) {
      io.stderr.write(`glassbox: ${e.message} [${e.code}]\n`);
      return e.status >= 500 ? 1 : 2;
    }
    io.stderr.write(`glassbox: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
