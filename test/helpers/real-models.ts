/** Real trained models that npm packages ship (devDependencies), for tests that must not rely on generated ones. */
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths';

// The package's `exports` hide its assets from require.resolve, so locate them under node_modules directly.
const OCR_ASSETS = path.join(PACKAGE_ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');

/** PaddleOCR v4 text detection: input x FP32 [N,3,H,W] (H, W multiples of 32), output a probability map. */
export const OCR_DET_MODEL = path.join(OCR_ASSETS, 'ch_PP-OCRv4_det_infer.onnx');
