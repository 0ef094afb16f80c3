// The explainers glassbox ships: one line each. They are registered in the order of their export
// names (a module namespace lists them alphabetically), like any third-party plugin.
export { default as occlusion } from './occlusion-explainer.js';
export { default as rollout } from './rollout-explainer.js';
export { default as shapley } from './shapley-explainer.js';
