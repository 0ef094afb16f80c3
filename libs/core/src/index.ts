export { ERROR_CODES, ErrorBodySchema, GlassboxError, isGlassboxError } from './errors.js';
export type { CodedErrorOptions, ErrorBody, ErrorCode, GlassboxErrorOptions } from './errors.js';

export { bundleGraphs, computeModelId, computeTokenizerId, graphPath, loadModelBundle, MODEL_VARIANTS, parseModelConfig } from './bundle/model-bundle.js';
export type { LoadModelBundleOptions, ModelBundle, ModelConfig, ModelVariant } from './bundle/model-bundle.js';
export { BUNDLE_SIDE_FILES, quantizeBundle } from './bundle/quantize-bundle.js';
export type { QuantizeBundleResult } from './bundle/quantize-bundle.js';

export { createTextTokenizer, toUtf16Offsets } from './tokenizer/text-tokenizer.js';
export type { Encoding, SpecialTokenNames, TextTokenizer, TokenSpan } from './tokenizer/text-tokenizer.js';

export { createOnnxSession } from './onnx/ort.js';
export type { Feeds, OnnxSession, OnnxSessionOptions, TensorData } from './onnx/ort.js';
export {
  appendToGraph,
  constantInts,
  decodeModel,
  encodeVarint,
  externalDataFiles,
  findAttribute,
  indexGraph,
  intAttribute,
  intsAttribute,
  proto as onnxProto,
  opsetVersion,
  scanFields,
  tensorFloats,
  tensorInts,
  toNumber,
  topologicalOrder,
  writeBytesAtomic,
} from './onnx/onnx-graph.js';
export type { GraphIndex } from './onnx/onnx-graph.js';
export { QUANTIZATION_METADATA_KEY, QUANTIZE_OPERATORS, quantizeModel } from './onnx/quantize-graph.js';
export type { QuantizedMatrix, QuantizeModelOptions, QuantizeModelResult, QuantizeOperator } from './onnx/quantize-graph.js';
export { dequantizePerChannel, float16ToFloat32, INT8_MAX, maxAbsDifference, quantizePerChannel, transpose } from './onnx/quantize-math.js';
export type { PerChannelWeights } from './onnx/quantize-math.js';
export { createWorkerSessionPool } from './onnx/worker-session-pool.js';
export type { WorkerPoolStats, WorkerSessionPool, WorkerSessionPoolOptions } from './onnx/worker-session-pool.js';

export { lengthBuckets, padBatch } from './engine/forward-batch.js';
export type { ForwardBatch } from './engine/forward-batch.js';
export { createInferenceEngine, defaultIntraOpThreads, FEATURES_OUTPUT, splitIntoWindows } from './engine/inference-engine.js';
export type {
  ClassifyInput,
  ClassifyOptions,
  ForwardOptions,
  ForwardResult,
  InferenceEngine,
  InferenceEngineOptions,
  Prediction,
  TextInput,
} from './engine/inference-engine.js';

export { assertCapabilities, CAPABILITIES, missingCapabilities } from './plugins/capabilities.js';
export type { Capability, ModelCapabilities } from './plugins/capabilities.js';
export { optionsJsonSchema, resolvePluginOptions } from './plugins/plugin-options.js';
export type { PluginOptionSchema, PluginOptionsSchema, PluginOptionValues } from './plugins/plugin-options.js';
export { BUILT_IN, createPluginRegistries, createPluginRegistry, describePlugin, pluginProblem } from './plugins/plugin-registry.js';
export type { PluginInfo, PluginRegistries, PluginRegistry, PluginSource, RegisteredPlugin } from './plugins/plugin-registry.js';
export { defineAbstentionRule, defineCalibrator, defineDriftStatistic, defineExplainer, defineObserver } from './plugins/define-plugin.js';
export type { OptionValuesOf } from './plugins/define-plugin.js';
export { loadPlugins } from './plugins/plugin-loader.js';
export type { LoadPluginsOptions } from './plugins/plugin-loader.js';
export { runPlugin } from './plugins/plugin-failure.js';
export { PLUGIN_KINDS } from './plugins/plugin-types.js';
export { PluginsResponseSchema, PublicPluginInfoSchema } from './plugins/plugin-info-schema.js';
export type { PublicPluginInfo } from './plugins/plugin-info-schema.js';
export type {
  AbstentionDecision,
  AbstentionPlugin,
  AbstentionRule,
  CalibrationData,
  Calibrator,
  CalibratorPlugin,
  DriftAlarmSizes,
  DriftInput,
  DriftStatisticPlugin,
  ExplainerCost,
  ExplainerOutput,
  ExplainerPlugin,
  ExplainInput,
  ExplainUnit,
  ObserverPlugin,
  PipelineResult,
  Plugin,
  PluginDescriptor,
  PluginKind,
  PluginOfKind,
  PredictionObserver,
} from './plugins/plugin-types.js';

export { createPipeline, probabilitiesFromLogits } from './pipeline/pipeline.js';
export type { Pipeline, PipelineOptions } from './pipeline/pipeline.js';
export {
  LabelScoreSchema,
  PredictionViewSchema,
  predictionView,
  ProbabilitiesSchema,
  RawViewSchema,
  sortedScores,
  topK,
} from './pipeline/prediction-view.js';
export type { LabelScore, PredictionView, PredictionViewOptions, Probabilities, RawView } from './pipeline/prediction-view.js';

export { argmax, softmax, softmaxRows } from './math/softmax.js';
export { classificationReport } from './math/classification-metrics.js';
export type { ClassificationReport } from './math/classification-metrics.js';
export { mulberry32, randomInt } from './math/random.js';
