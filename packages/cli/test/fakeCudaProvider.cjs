// Preloaded (NODE_OPTIONS=--require) to run the CLI as on a machine where onnxruntime-node's
// install script fetched the CUDA provider but no CUDA library or device answers: the provider
// file reads as present, so hooklens tries a CUDA session and ONNX Runtime refuses it.
const fs = require('node:fs');
const existsSync = fs.existsSync;
fs.existsSync = function (path) {
  if (String(path).endsWith('libonnxruntime_providers_cuda.so')) return true;
  return existsSync.call(this, path);
};
