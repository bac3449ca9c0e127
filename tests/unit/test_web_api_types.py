"""The studio's typed API client is generated from the server's OpenAPI document; this fails
when web/openapi.json (and so web/src/api/schema.d.ts) no longer matches the live app.

Fix: run `scripts/gen-web-api.py` and commit web/openapi.json and web/src/api/schema.d.ts.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen-web-api.py"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_web_api", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_openapi_matches_the_live_app() -> None:
    gen = _generator()
    committed = (ROOT / "web" / "openapi.json").read_text(encoding="utf-8")
    live = gen.render(gen.live_openapi())
    if committed != live:
        old, new = json.loads(committed), json.loads(live)
        added = sorted(set(new["paths"]) - set(old["paths"]))
        removed = sorted(set(old["paths"]) - set(new["paths"]))
        changed = sorted(
            p for p in set(old["paths"]) & set(new["paths"]) if old["paths"][p] != new["paths"][p]
        )
        schemas = sorted(
            k
            for k in set(old.get("components", {}).get("schemas", {}))
            ^ set(new.get("components", {}).get("schemas", {}))
        )
        raise AssertionError(
            "web/openapi.json is stale: run scripts/gen-web-api.py and commit web/openapi.json "
            f"and web/src/api/schema.d.ts. Paths added {added}, removed {removed}, "
            f"changed {changed[:10]}, schemas added/removed {schemas[:10]}"
        )


def test_generated_types_cover_every_path() -> None:
    doc = json.loads((ROOT / "web" / "openapi.json").read_text(encoding="utf-8"))
    types = (ROOT / "web" / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8")
    missing = [p for p in doc["paths"] if f'"{p}"' not in types]
    assert not missing, f"schema.d.ts lacks {missing}: run scripts/gen-web-api.py"
