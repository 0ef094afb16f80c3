import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { builtinPluginRegistries, openPluginRegistries } from '@glassbox/api';
import { isGlassboxError, QUANTIZE_OPERATORS, type PluginRegistries } from '@glassbox/core';
import { abstentionSpecs } from '@glassbox/calibration';
import { batchCommand } from './commands/batch.js';
import { calibrateCommand } from './commands/calibrate.js';
import { evaluateCommand } from './commands/evaluate.js';
import { explainCommand } from './commands/explain.js';
import { exposeAttentionsCommand } from './commands/expose-attentions.js';
import { finetuneCommand } from './commands/finetune.js';
import { monitorReferenceCommand, monitorReplayCommand, monitorStateCommand } from './commands/monitor.js';
import { monitorSimulateCommand } from './commands/monitor-simulate.js';
import { serveCommand } from './commands/serve.js';
import { pluginsCommand, pluginSpecsIn } from './commands/plugins.js';
import { predictCommand } from './commands/predict.js';
import { quantizeCommand } from './commands/quantize.js';
import { parseNumberIn, parsePositiveInt } from './commands/shared.js';

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

function numberOption(name: string, min: number, max: number) {
  const parse = parseNumberIn(name, min, max);
  return (v: string) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** A number in [min, max) (a share that may be 0) or, with max Infinity, any number >= min. */
function nonNegativeOption(name: string, max = Infinity) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n >= max) throw new InvalidArgumentError(`${name} must be a number ${max === Infinity ? '>= 0' : `in [0, ${max})`}, got "${v}"`);
    return n;
  };
}

function seedOption(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`--seed must be a non-negative integer, got "${v}"`);
  return n;
}

/** A command line as a POSIX shell would take it back (arguments quoted where needed). */
function shellLine(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function portOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be an integer in [0, 65535], got "${v}"`);
  return n;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function engineOptions(cmd: Command): Command {
  return cmd
    .option('--model <dir>', 'model bundle directory (default: $GLASSBOX_MODEL, else the installed @glassbox/emotion-mini package); repeat for an ensemble', collect)
    .addOption(new Option('--combine <mode>', 'how an ensemble combines its members').choices(['probabilities', 'logits']).default('probabilities'))
    .option('--batch-size <n>', 'sequences per forward pass', intOption('--batch-size'))
    .option('--threads <n>', 'ONNX Runtime intra-op threads (default: the cores Node can use, os.availableParallelism())', intOption('--threads'))
    .addOption(new Option('--variant <graph>', 'which graph to load: fp32 (model.onnx) or quantized (model_quantized.onnx); default fp32 when the bundle has it, else quantized').choices(['fp32', 'quantized']))
    .addOption(new Option('--long-text <mode>', 'texts longer than the model maximum').choices(['truncate', 'chunk']).default('truncate'));
}

/** A repeatable option whose values must be registered names (or 'all'). */
function namesOption(flag: string, valid: () => readonly string[]) {
  return (value: string, previous: string[] | undefined) => {
    if (value !== 'all' && !valid().includes(value)) throw new InvalidArgumentError(`Allowed choices are ${[...valid(), 'all'].join(', ')}.`);
    return [...(previous ?? []), value];
  };
}

/** Every command, subcommands included. */
function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

/**
 * The glassbox CLI. Choices and help that name plugins (explain's --method) come from
 * `registries`: the built-ins, plus what --plugin loaded (runCli loads them before building).
 */
export function buildProgram(io: CliIo, registries: PluginRegistries = builtinPluginRegistries(), argv?: readonly string[]): Command {
  const explainers = registries.explainer;
  const abstainHelp = abstentionSpecs(registries.abstention);
  const methodHelp = explainers
    .entries()
    .map(({ plugin }) => `${plugin.name}${plugin.requires?.length ? ` (needs ${plugin.requires.join(', ')})` : ''}${plugin.byDefault ? ' [default]' : ''}`)
    .join(', ');
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
      .option('--json', 'print a JSON array: text, label, score, probabilities')
      .option('--calibration <file>', 'calibrate with a file from glassbox calibrate (adds raw probabilities and the conformal set)')
      .option('--abstain <rule>', `abstention rule: ${abstainHelp} (certified: the calibration certificate)`),
  ).action(async (texts: string[], flags) => {
    await predictCommand(texts, flags, io.stdout, registries, io.stderr);
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
      .option('--rows <start:end>', 'only rows START..END of the file (1-based, inclusive), e.g. 2714:5426')
      .option('--calibration <file>', 'evaluate calibrated probabilities: adds ece, mce, brier, nll, reliability, ece_uncalibrated')
      .option('--conformal <alpha>', 'check the calibration file has a conformal threshold for this alpha', numberOption('--conformal', 0, 1))
      .option('--text-column <name>', 'column or field holding the text (default "text")')
      .option('--label-column <name>', 'column or field holding the label (default "label")')
      .addOption(new Option('--format <format>', 'input format when the extension does not say').choices(['csv', 'tsv', 'jsonl'])),
  ).action(async (flags) => {
    await evaluateCommand(flags, io.stdout, registries, io.stderr);
  });

  engineOptions(
    program
      .command('explain')
      .description(`why this label? any registered explainer (${explainers.names().join(', ')}), with faithfulness scores`)
      .argument('<text...>', 'the text to explain (one, quoted)')
      .option('--method <name>', `explanation method, repeatable: ${methodHelp}; all: every one the model supports (default: the [default] ones)`, namesOption('--method', () => explainers.names()))
      .option('--method-option <method.option=value>', 'an option of a method, repeatable (e.g. shapley.permutations=32; glassbox plugins --json lists them)', collect)
      .option('--seed <n>', 'seed of randomised methods and of the random ranking (default 0)', (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--seed must be a non-negative integer, got "${v}"`);
        return n;
      })
      .option('--target <label>', 'label to explain (default: the predicted one)')
      .option('--contrast <label>', 'explain target rather than this label (methods that are not class-agnostic)')
      .addOption(new Option('--granularity <unit>', 'units scored').choices(['token', 'word', 'window']).default('word'))
      .option('--window-size <n>', 'window granularity: tokens per window (default 3)', intOption('--window-size'))
      .option('--window-stride <n>', 'window granularity: step between windows (default 1)', intOption('--window-stride'))
      .option('--faithfulness', 'comprehensiveness and sufficiency AOPC per method and for a random ranking')
      .option('--json', 'print the explanation as JSON')
      .option('--html <file>', 'write a standalone HTML page with the text coloured by score'),
  ).action(async (texts: string[], flags) => {
    await explainCommand(texts, flags, io.stdout, io.stderr, explainers);
  });

  const monitor = program.command('monitor').description('drift monitoring: reference profiles and backtesting');
  engineOptions(
    monitor
      .command('reference')
      .description('profile confidence, margin, entropy and label shares on a reference set')
      .requiredOption('--data <file>', 'reference texts (.csv, .tsv, .jsonl)')
      .requiredOption('--out <file>', 'reference profile JSON to write')
      .option('--no-progress', 'no progress bar on stderr')
      .option('--calibration <file>', 'profile calibrated probabilities')
      .option('--window <n>', 'drift window the alarm thresholds are calibrated for (default 500, the server default)', intOption('--window'))
      .option('--expected-run-length <n>', 'predictions between false alarms of the whole monitor under no drift (default 200000)', intOption('--expected-run-length'))
      .option('--text-column <name>', 'column or field holding the text (default "text")')
      .addOption(new Option('--format <format>', 'input format when the extension does not say').choices(['csv', 'tsv', 'jsonl'])),
  ).action(async (flags) => {
    await monitorReferenceCommand(flags, io.stdout, registries);
  });
  engineOptions(
    monitor
      .command('simulate')
      .description('measure the expected run length under no drift and the detection delay of clear shifts at these settings')
      .requiredOption('--reference <file>', 'reference profile (e.g. from the train split)')
      .requiredOption('--data <file>', 'held-out in-domain texts (e.g. the dev split; single labels drive the label scenarios)')
      .option('--ood <file>', 'out-of-domain texts (.csv, .tsv, .jsonl; e.g. node tools/drift-sim/licence-sentences.mjs)')
      .option('--window <n>', "drift window (default: the reference's calibrated window, else 500)", intOption('--window'))
      .option('--expected-run-length <n>', 'alarm level (default 200000)', intOption('--expected-run-length'))
      .option('--streams <n>', 'run-length streams (default 30)', intOption('--streams'))
      .option('--stream-length <n>', 'predictions per run-length stream (default 20 windows)', intOption('--stream-length'))
      .option('--runs <n>', 'detection-delay runs per scenario (default 50)', intOption('--runs'))
      .option('--cap <n>', 'most shifted predictions per run (default 5 windows)', intOption('--cap'))
      .option('--shift-to <label>', 'label of the single-label and label-share scenarios (default the first model label)')
      .option('--seed <n>', 'seed of the resampling (default 1)', intOption('--seed'))
      .option('--calibration <file>', 'monitor calibrated probabilities')
      .option('--json', 'print the report as JSON')
      .option('--no-progress', 'no progress bars on stderr')
      .option('--text-column <name>', 'column or field holding the text (default "text")')
      .addOption(new Option('--format <format>', 'input format when the extension does not say').choices(['csv', 'tsv', 'jsonl'])),
  ).action(async (flags) => {
    await monitorSimulateCommand(flags, io.stdout, registries);
  });
  engineOptions(
    monitor
      .command('replay')
      .description('run a file through the model and the drift monitor as if it were traffic; report when alarms fire')
      .requiredOption('--reference <file>', 'reference profile from glassbox monitor reference')
      .requiredOption('--data <file>', 'texts to replay in order (labels, if present, give realized accuracy)')
      .option('--window <n>', "sliding window of the last N predictions (default: the reference's calibrated window, else 300)", intOption('--window'))
      .option('--expected-run-length <n>', 'predictions between false alarms under no drift (default 200000; thresholds recalibrated when the reference has none for these settings)', intOption('--expected-run-length'))
      .option('--no-progress', 'no progress bar on stderr')
      .option('--calibration <file>', 'monitor calibrated probabilities')
      .option('--json', 'print {alarms: [{index, statistic, signal, value, threshold}], statistics, final, predictions, ...}')
      .option('--statistic <name>', `only this drift statistic, repeatable: ${registries['drift-statistic'].names().join(', ')}`, collect)
      .option('--text-column <name>', 'column or field holding the text (default "text")')
      .addOption(new Option('--format <format>', 'input format when the extension does not say').choices(['csv', 'tsv', 'jsonl'])),
  ).action(async (flags) => {
    await monitorReplayCommand(flags, io.stdout, registries);
  });

  monitor
    .command('state')
    .description("summarise a server's state database (--state): integrity, window, feedback, calibrations, audit log, latest alarms")
    .argument('<file>', 'the SQLite state database (with the server stopped: a running server holds it), or the postgres:// URL replicas share (they may keep running)')
    .option('--alarms <n>', 'latest alarms to list (default 10)', intOption('--alarms'))
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, flags) => {
      await monitorStateCommand(file, flags, io.stdout);
    });

  program
    .command('serve')
    .description('serve the HTTP API (glassbox, Hugging Face, TEI and Open Inference Protocol routes)')
    .option('--model <dir>', 'model bundle directory (default: $GLASSBOX_MODEL, else the installed @glassbox/emotion-mini package); repeat for an ensemble', collect)
    .option('--port <n>', 'port (default $PORT or 8080; 0 picks a free one)', portOption)
    .option('--host <host>', 'interface to listen on (default $HOST or 127.0.0.1)')
    .option('--config <file>', 'JSON file with server options (flags win)')
    .option('--calibration <file>', "serve calibrated probabilities from glassbox calibrate (default: the model bundle's calibration.json, with --abstain certified)")
    .option('--no-calibration', "serve raw probabilities: not even the model bundle's calibration.json")
    .option('--abstain <rule>', `abstention rule: ${abstainHelp}`)
    .option('--reference <file>', "drift monitoring against a profile from glassbox monitor reference (/v1/monitor, /metrics gauges); stored for later starts (default: the stored one, else the model bundle's reference.json)")
    .option('--no-reference', 'no drift monitor: neither a stored reference nor the model bundle\'s')
    .option('--store-text', 'keep request texts in the audit trail (off by default)')
    .option('--state <file|url>', 'SQLite state database (WAL): audit log, feedback, drift window, alarms and calibration versions survive restarts (default $GLASSBOX_STATE, else ./glassbox-data/state.db; ":memory:" keeps nothing); a postgres:// URL shares the audit log, feedback and calibration versions among replicas (docs/deployment.md)')
    .option('--replica-id <name>', 'with a postgres:// state: this replica\'s name in audit rows and heartbeats (default $GLASSBOX_REPLICA_ID, else hostname:pid)')
    .option('--audit-limit <n>', 'predictions kept in the audit log, the oldest drop first (default 10000)', intOption('--audit-limit'))
    .option('--audit-max-age-days <days>', 'drop audit rows older than this (persistent state only)', numberOption('--audit-max-age-days', 1e-6, 1e6))
    .option('--monitor-window <n>', 'predictions in the drift window (default 500)', intOption('--monitor-window'))
    .option('--expected-run-length <n>', 'predictions between false drift alarms under no drift, whole monitor (default 200000; calibrated at start unless the reference holds thresholds for the window)', intOption('--expected-run-length'))
    .option('--workers <n>', 'inference worker threads (default 1)', intOption('--workers'))
    .option('--threads <n>', 'ONNX Runtime intra-op threads per worker (default: the cores Node can use divided among the workers)', intOption('--threads'))
    .option('--spinning', 'ONNX Runtime threads spin between parallel sections instead of sleeping: lower single-request latency, CPU burnt while idle (off by default; BENCHMARKS.md)')
    .addOption(new Option('--variant <graph>', 'which graph to serve: fp32 (model.onnx) or quantized (model_quantized.onnx); default fp32 when the bundle has it, else quantized').choices(['fp32', 'quantized']))
    .option('--api-key-file <file>', 'file holding the bearer key for admin and write routes (default $GLASSBOX_API_KEY_FILE); without a key they answer loopback clients only')
    .option('--api-key <key>', 'the bearer key itself (visible in ps: prefer --api-key-file; default $GLASSBOX_API_KEY)')
    .option('--allowed-host <name>', 'also answer requests whose Host header is this name (repeatable; *.example.com for subdomains, * for any); localhost and IP addresses always are', collect)
    .option('--cors <origin>', 'allow this origin (repeatable); CORS is off otherwise', collect)
    .option('--max-batch-size <n>', 'micro-batching: most texts per forward pass (default 32)', intOption('--max-batch-size'))
    .option('--max-wait-ms <n>', 'micro-batching: how long an idle model waits for a batch to fill (default 0; busy models batch what queued)', numberOption('--max-wait-ms', 0, 10_000))
    .option('--rate-limit <rps>', 'per-client rate limit on the inference routes, requests per second (off by default; 429 with Retry-After)', numberOption('--rate-limit', 1e-6, 1e6))
    .option('--rate-burst <n>', 'requests a client may send at once under --rate-limit (default: the rate rounded up)', intOption('--rate-burst'))
    .option('--max-inputs <n>', 'most texts per request (default 64)', intOption('--max-inputs'))
    .option('--max-request-tokens <n>', 'most tokens per request, each text counted up to the model\'s maximum length (default 32768)', intOption('--max-request-tokens'))
    .option('--max-queued-texts <n>', 'admission control: most texts waiting for the model; beyond, 503 with Retry-After (default max(4 x batch size, max inputs) = 128)', intOption('--max-queued-texts'))
    .option('--max-queued-tokens <n>', 'admission control: most tokens waiting for the model (default 32768)', intOption('--max-queued-tokens'))
    .option('--max-explain-units <n>', 'explanation budget: most units occluded per explanation (default 512)', intOption('--max-explain-units'))
    .option('--max-explain-forward-passes <n>', 'explanation budget: most forward passes per explanation (default 256)', intOption('--max-explain-forward-passes'))
    .option('--max-concurrent-explanations <n>', 'explanations running at once (default 1)', intOption('--max-concurrent-explanations'))
    .option('--max-queued-explanations <n>', 'explanations waiting for a turn; beyond, 503 (default 4)', intOption('--max-queued-explanations'))
    .action(async (flags) => {
      await serveCommand(flags, io.stderr);
    });

  program
    .command('expose-attentions')
    .description('rewrite an ONNX graph so each layer\'s attention probabilities become outputs attentions.N')
    .argument('<in>', 'model.onnx exported without attention outputs')
    .argument('<out>', 'where to write the rewritten graph (atomically)')
    .action(async (input: string, output: string) => {
      await exposeAttentionsCommand(input, output, io.stdout, io.stderr);
    });

  program
    .command('quantize')
    .description('write a dynamic int8 copy of a model bundle (weights per output channel, activations at run time) and compare its logits with fp32')
    .argument('<in_dir>', 'model bundle with an fp32 graph (model.onnx or onnx/model.onnx)')
    .argument('<out_dir>', 'new bundle: model_quantized.onnx (onnx/model_quantized.onnx for that layout) with config and tokenizer files; load it with --variant quantized or as is')
    .addOption(new Option('--operator <op>', 'run-time activation quantization: dynamic-quantize-matmul (com.microsoft, ONNX Runtime) or matmul-integer (standard ONNX ops)').choices([...QUANTIZE_OPERATORS]).default('dynamic-quantize-matmul'))
    .option('--no-embeddings', 'keep embedding tables (Gather over a constant table) in float; by default they are stored as int8 per row')
    .option('--check-text <text>', 'text to compare fp32 and int8 logits on (repeatable; default 8 built-in texts)', collect)
    .option('--no-check', 'skip the fp32 comparison')
    .option('--json', 'print {input, output, ratio, quantized_matrices, quantized_parameters, skipped, check: {max_abs_logit_difference, same_label}} as JSON')
    .action(async (inDir: string, outDir: string, flags) => {
      await quantizeCommand(inDir, outDir, flags, io.stdout);
    });

  engineOptions(
    program
      .command('calibrate')
      .description('fit a calibrator (and optionally conformal sets and a certified abstention threshold) on labeled data')
      .requiredOption('--data <file>', 'GoEmotions TSV, or CSV/JSONL with text and label (name or id)')
      .addOption(
        new Option('--method <method>', `calibration method: ${registries.calibrator.entries().map(({ plugin: p }) => `${p.name} (${p.description})`).join('; ')}`)
          .choices(registries.calibrator.names())
          .default('temperature'),
      )
      .requiredOption('--out <file>', 'calibration JSON to write (atomically)')
      .option('--conformal <alpha>', 'also fit split-conformal LAC sets with miscoverage alpha', numberOption('--conformal', 0, 1))
      .option('--abstain-risk <r>', 'also certify an abstention threshold with selective risk <= r (SGR)', numberOption('--abstain-risk', 0, 1))
      .option('--delta <d>', 'confidence parameter of the certificate (default 0.001)', numberOption('--delta', 0, 1))
      .option('--rows <start:end>', 'only rows START..END of the file (1-based, inclusive), e.g. 1:2713')
      .option('--json', 'print the fitted parameters and metrics before/after as JSON')
      .option('--text-column <name>', 'column or field holding the text (default "text")')
      .option('--label-column <name>', 'column or field holding the label (default "label")')
      .addOption(new Option('--format <format>', 'input format when the extension does not say').choices(['csv', 'tsv', 'jsonl'])),
  ).action(async (flags) => {
    await calibrateCommand(flags, io.stdout, registries.calibrator, io.stderr);
  });

  program
    .command('finetune')
    .description('train a new classification head on the frozen encoder (own labels or a new label set) and write a new bundle')
    .option('--model <dir>', 'base model bundle (default: models/emotion-mini, or $GLASSBOX_MODEL)')
    .requiredOption('--data <file>', 'GoEmotions TSV, or CSV/JSONL with text and label (name or id), as evaluate reads')
    .requiredOption('--out <dir>', 'directory for the new bundle (model.onnx, config.json, tokenizer.json, MODEL_CARD.md, calibration.json)')
    .option('--labels <a,b,c>', 'the label set, in id order (default: the model\'s labels when the data uses them, else the data\'s label names sorted)')
    .option('--epochs <n>', 'most epochs (default 100; early stopping usually ends sooner)', intOption('--epochs'))
    .option('--val-split <f>', 'share of each label held out for early stopping and the temperature refit (default 0.1)', numberOption('--val-split', 0, 1))
    .option('--test-split <f>', 'share of each label held out for the before/after figures (default 0.1; 0 reports them on the validation rows)', nonNegativeOption('--test-split', 1))
    .addOption(new Option('--class-weights <mode>', 'loss weights per label: auto = inverse frequency, none = equal').choices(['auto', 'none']).default('none'))
    .option('--seed <n>', 'seed of the split and the minibatch order (default 0)', seedOption)
    .option('--l2 <lambda>', 'L2 penalty on the head weights (default 1e-4)', nonNegativeOption('--l2'))
    .option('--learning-rate <lr>', 'Adam learning rate (default 0.001)', numberOption('--learning-rate', 0, 10))
    .option('--patience <n>', 'epochs without a lower validation loss before stopping (default 5)', intOption('--patience'))
    .option('--batch-size <n>', 'sequences per forward pass while computing features (default 32)', intOption('--batch-size'))
    .option('--threads <n>', 'ONNX Runtime intra-op threads (default: the cores Node can use)', intOption('--threads'))
    .option('--rows <start:end>', 'only rows START..END of the file (1-based, inclusive)')
    .option('--text-column <name>', 'column or field holding the text (default "text")')
    .option('--label-column <name>', 'column or field holding the label (default "label")')
    .addOption(new Option('--format <format>', 'input format when the extension does not say').choices(['csv', 'tsv', 'jsonl']))
    .option('--json', 'print the report (per-epoch figures, before/after, temperature, time) as JSON')
    .option('--no-progress', 'no progress bars on stderr')
    .action(async (flags) => {
      await finetuneCommand({ ...flags, command: shellLine(['glassbox', ...(argv ?? ['finetune'])]) }, io.stdout);
    });

  program
    .command('plugins')
    .description('list every registered plugin (built-in and --plugin): kind, name, requirements, source')
    .option('--json', 'print { plugins: [{ kind, name, description, source, origin, requires, options }] }')
    .action((flags) => {
      pluginsCommand(registries, flags, io.stdout);
    });

  // Every command takes --plugin (runCli loads them before the program is built).
  for (const cmd of allCommands(program).filter((c) => c.commands.length === 0)) {
    cmd.option('--plugin <file-or-package>', 'load a plugin file or npm package (repeatable); its plugins join the built-ins', collect);
  }
  return program;
}

/** Runs the CLI; resolves to the exit code. Errors become one line on stderr. */
export async function runCli(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const program = buildProgram(io, await openPluginRegistries(pluginSpecsIn(argv), process.cwd()), argv);
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
