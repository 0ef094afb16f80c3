export { accuracy, brier, classwiseEce, debiasedEce, ece, mce, nll, NLL_CLIP, reliabilityDiagram, topLabel } from './metrics.js';
export type { DebiasedEceOptions, ReliabilityBin, TopLabel } from './metrics.js';
export { assignBins, equalMassBins, equalWidthBins } from './binning.js';
export type { Binning, BinningOptions, BinningScheme } from './binning.js';
export { bootstrapCi, quantileSorted } from './bootstrap.js';
export type { BootstrapOptions, ConfidenceInterval, RowMetric } from './bootstrap.js';
export { mulberry32, randomInt } from './random.js';

export { applyTemperature, fitTemperature, meanNllOfScaledLogits, temperatureAtBound } from './temperature.js';
export type { TemperatureFit } from './temperature.js';
export { applyPlatt, fitPlatt, fitSigmoid } from './platt.js';
export type { PlattParams } from './platt.js';
export { applyVectorScaling, fitVectorScaling } from './vector-scaling.js';
export type { VectorScalingFit, VectorScalingOptions, VectorScalingParams } from './vector-scaling.js';
export { applyIsotonic, fitIsotonic, isotonicRegression, predictIsotonic } from './isotonic.js';
export type { IsotonicFit } from './isotonic.js';

export { apsScore, conformalQuantile, fitAps, fitLac, fitMondrianLac, meanSetSize, setCoverage } from './conformal.js';
export type { ApsOptions, ApsPredictor, ConformalOptions, ConformalPredictor, MondrianPredictor, PredictionSets } from './conformal.js';

export { margin, maxProbability, negativeEntropy } from './confidence-scores.js';
export { aurc, riskCoverageCurve, selectiveStats, sgr } from './selective.js';
export type { Correctness, RiskCoverageCurve, SelectiveStats, SgrOptions, SgrResult } from './selective.js';
export { binomialCdf, binomialUpperBound, logChoose, logGamma } from './binomial.js';
export { cbpe } from './cbpe.js';

export { minimizeScalarBounded } from './minimize-scalar.js';
export type { MinimizeScalarOptions, ScalarMinimum } from './minimize-scalar.js';
export { minimizeLbfgs } from './lbfgs.js';
export type { LbfgsOptions, LbfgsResult, ObjectiveWithGradient } from './lbfgs.js';
export { softmaxRows64 } from './log-softmax.js';
export type { LabelArray, Matrix } from './validate.js';

export { createEnsembleEngine } from './ensemble-engine.js';
export type { EnsembleMember, EnsembleOptions } from './ensemble-engine.js';

export { CALIBRATION_METHODS, createCalibrator, fitCalibration } from './calibration-method.js';
export { BUILTIN_CALIBRATORS, builtinCalibrators } from './calibrators/builtin-calibrators.js';
export type { CheckedCalibratorPlugin } from './calibrators/calibrator-params.js';
export type { CalibrationMethod, FittedCalibration } from './calibration-method.js';
export {
  calibrationId,
  checkCalibrationModel,
  computeMetricSet,
  hashFittingRows,
  parseCalibration,
  serializeCalibration,
  untiedTokenizerWarning,
} from './calibration-file.js';
export type { CalibrationFile, ConformalRecord, ExpectedModel, HeldOutMetrics, MetricSet } from './calibration-file.js';
export { assignFolds, crossFitCalibration, MIN_ROWS_PER_FOLD } from './cross-fit.js';
export type { CrossFitOptions } from './cross-fit.js';
export {
  CalibrationInfoSchema,
  CalibrationMethodSchema,
  CalibrationMetricsSchema,
  HeldOutMetricsSchema,
  CertificateViewSchema,
  ConformalRecordSchema,
  MetricSetSchema,
  MetricSummarySchema,
  ReliabilityBinSchema,
} from './calibration-schema.js';
export type { CalibrationInfo } from './calibration-schema.js';
export { allRule, anyRule, entropyRule, marginRule, maxProbabilityRule, perClassThresholdRule } from './abstention-rules.js';
export { CERTIFIABLE_RULES, certifyAbstention, ruleFromCertificate } from './abstention-certificate.js';
export type { AbstentionCertificate, AbstentionCertification, CertifiableRule, CertifyAbstentionOptions } from './abstention-certificate.js';
export { ABSTENTION_SPECS, abstentionRule, abstentionSpecs, calibrationForEngine, lacSet, parseAbstentionSpec, readCalibrationForEngine } from './abstention-spec.js';
export type { CalibrationForEngine } from './abstention-spec.js';
export { BUILTIN_ABSTENTION_RULES, builtinAbstentionRules } from './abstention/builtin-abstention-rules.js';
export type { CalibrationAbstentionPlugin } from './abstention/certified.js';
export { buildCalibrationFile, minRowsForConformal } from './build-calibration-file.js';
export type { BuildCalibrationOptions } from './build-calibration-file.js';
