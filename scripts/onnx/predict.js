// Runs an exported gputrain ONNX model in ONNX Runtime (onnxruntime-node).
//
//   node predict.js REQUEST.json
//
// REQUEST holds {"model": PATH, "numeric": [[...], ...] (null: missing),
// "categorical": [[...], ...]}; the outputs are printed as one JSON
// object: {"probabilities": [[...]], "label": [...]} or {"predicted": [[...]]}.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const session = await ort.InferenceSession.create(req.model);
  const feeds = {};
  if (req.numeric && req.numeric.length > 0 && req.numeric[0].length > 0) {
    const rows = req.numeric.length, cols = req.numeric[0].length;
    const x = new Float64Array(rows * cols);
    req.numeric.forEach((r, i) => r.forEach((v, j) => { x[i * cols + j] = v === null ? NaN : v; }));
    feeds.input = new ort.Tensor('float64', x, [rows, cols]);
  }
  if (req.categorical && req.categorical.length > 0 && req.categorical[0].length > 0) {
    const rows = req.categorical.length, cols = req.categorical[0].length;
    feeds.categorical = new ort.Tensor('string', req.categorical.flat(), [rows, cols]);
  }
  const res = await session.run(feeds);
  const out = {};
  for (const name of session.outputNames) {
    const t = res[name];
    const data = Array.from(t.data, v => (typeof v === 'number' ? v : String(v)));
    if (t.dims.length === 2) {
      const k = t.dims[1];
      out[name] = [];
      for (let i = 0; i < t.dims[0]; i++) out[name].push(data.slice(i * k, (i + 1) * k));
    } else {
      out[name] = data;
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch(e => { console.error('onnxruntime: ' + e.message); process.exit(1); });
