/**
 * Model artifacts: offline transforms of ONNX files (quantization, float16 conversion) and their comparison.
 * The CLI's quantize, convert and compare commands use this entry point; the server never imports it.
 */
export { readModelFile, writeModelFile, decodeModel, encodeModel } from './onnx-model';
export type { ModelProto } from './onnx-model';
export { quantizeDynamic } from './quantize-dynamic';
export type { DynamicQuantizeOptions, QuantizeReport } from './quantize-dynamic';
export { quantizeStatic } from './quantize-static';
export type { StaticQuantizeOptions } from './quantize-static';
export type { CalibrationMethod } from './calibration';
export { convertToFp16, FP32_OPS } from './convert-fp16';
export type { Fp16Options, Fp16Report } from './convert-fp16';
export { compareModels, formatCompare } from './compare';
export type { CompareOptions, CompareResult } from './compare';
export { gateFailures, parseGate } from './compare-metrics';
export type { Gate, OutputAccuracy } from './compare-metrics';
export { readSamples, inputTypes, modelInputTypes } from './samples';
export { resolveReduceRange } from './reduce-range';
export type { ReduceRangeSetting } from './reduce-range';
