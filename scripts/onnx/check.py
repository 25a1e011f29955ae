"""Checks exported gputrain ONNX models with onnx.checker (full check,
shape inference included): python3 check.py MODEL.onnx..."""
import sys

import onnx

for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print(f"{path}: onnx.checker OK (IR {model.ir_version}, opsets "
          + ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import) + ")")
