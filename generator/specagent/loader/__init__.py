"""Spec loading: a file or URL becomes one normalised OpenAPI 3 document, then an `ir.Api`.

    spec = load_spec("openapi.yaml")      # never raises for bad input
    api = build_api(spec)                 # api.diagnostics: the loader's, then the builder's

`load_spec` reports every problem as an `ir.Diagnostic` in the result. Errors mean the output
would be wrong (generation stops); warnings name a repair made to a slightly invalid spec
(`--strict` turns them into errors, which is the caller's decision). `load_api` does both steps
and raises `SpecError` instead, for library users and tests.
"""

from specagent.loader._load import LoadedSpec, SpecError, build_api, load_api, load_spec

__all__ = ["LoadedSpec", "SpecError", "build_api", "load_api", "load_spec"]
