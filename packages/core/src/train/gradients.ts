// tfjs-core's Node build registers no gradient functions (its ESM registration module does
// directory imports Node cannot load). The @tensorflow/tfjs bundle registers all of them in
// tfjs' global registry, so importing it once makes tf.variableGrads work on any backend.
import '@tensorflow/tfjs';
