"""Spec loading: a file or URL becomes one normalised OpenAPI 3 document, then an `ir.Api`.

`load_spec` never raises for bad input; every problem is an `ir.Diagnostic` in the result.
Errors mean the output would be wrong (generation stops); warnings name a repair made to a
slightly invalid spec (`--strict` turns them into errors, which is the caller's decision).
"""

from specagent.ir import Diagnostic
from specagent.loader._load import LoadedSpec, build_api, load_spec

SpecError = Diagnostic  # loader problems are values, not exceptions

__all__ = ["LoadedSpec", "SpecError", "build_api", "load_spec"]
