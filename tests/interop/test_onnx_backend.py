"""onnx's own backend node tests (onnx.backend.test.BackendTest) run against dualnet.

Included: every non-expanded node test whose operators all have a dualnet converter. Excluded
(interop.onnx.conformance.exclusion; `python -m interop.onnx.conformance --excluded` lists
them): tests needing bfloat16, float8, float4, int4/uint4, int2/uint2, string, complex128,
sequence or optional values (types dualnet does not have; float16 tests run), and the
training-mode Dropout tests whose expected outputs come from NumPy's random stream. Known failures are marked xfail with the reason.
The per-op-type table: `python -m interop.onnx.conformance`.
"""
from __future__ import annotations

import pytest

onnx_backend_test = pytest.importorskip("onnx.backend.test")

from interop.onnx import backend, conformance  # noqa: E402
from interop.onnx.converters import load_all, lookup  # noqa: E402

# Known failures: what dualnet does not do (yet).
KNOWN_FAILURES = {
    "test_gathernd_example_int32_batch_dim1": "GatherND with batch_dims > 0",
    "test_scatter_elements_with_reduction_mul": "ScatterElements reduction 'mul'",
    "test_scatter_elements_with_reduction_max": "ScatterElements reduction 'max'",
    "test_scatter_elements_with_reduction_min": "ScatterElements reduction 'min'",
}


def _supported(case) -> bool:
    from onnx.defs import onnx_opset_version

    opset = next((o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx")),
                 None)
    if opset is None or opset > onnx_opset_version():
        return False
    return all(lookup(n.domain, n.op_type, opset) is not None for n in case.model.graph.node)


def _selection():
    load_all()
    included, excluded = [], {}
    for case in conformance.node_cases():
        if not _supported(case):
            continue
        reason = conformance.exclusion(case)
        if reason:
            excluded[case.name] = reason
        else:
            included.append(case.name)
    return included, excluded


INCLUDED, EXCLUDED = _selection()

_runner = onnx_backend_test.BackendTest(backend.DualnetBackend, __name__)
for _name in INCLUDED:
    _runner.include(f"^{_name}_cpu$")
for _name in KNOWN_FAILURES:
    _runner.xfail(f"^{_name}_cpu$")

OnnxBackendNodeModelTest = _runner.test_cases["OnnxBackendNodeModelTest"]
_wanted = {f"{n}_cpu" for n in INCLUDED}
for _attr in [a for a in vars(OnnxBackendNodeModelTest) if a.startswith("test_")]:
    if _attr not in _wanted:  # keep only the selected tests (no thousands of skips)
        delattr(OnnxBackendNodeModelTest, _attr)


def test_selection_is_substantial():
    assert len(INCLUDED) >= 700
    assert all(name in INCLUDED for name in KNOWN_FAILURES)
    assert not set(EXCLUDED) & set(INCLUDED)


def test_target_op_types_pass_rate():
    """Issue 6's target: >= 95% of the non-excluded node tests of its op types pass."""
    results = conformance.run(conformance.TARGET_OPS)
    counts = {k: sum(len(r.get(k, ())) for r in results.values())
              for k in ("passed", "failed", "unsupported")}
    ran = sum(counts.values())
    assert ran >= 350
    assert counts["passed"] / ran >= 0.95, conformance.table(results, conformance.TARGET_OPS)


def test_conformance_command_prints_a_table(capsys):
    assert conformance.main(["Relu", "Gemm"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["op", "type", "passed"]
    assert out[1].split()[:2] == ["Relu", "1"] and out[-1].startswith("TOTAL")
