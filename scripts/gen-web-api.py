#!/usr/bin/env python3
"""Write the server's OpenAPI document to web/openapi.json and regenerate the typed client.

The document is built from the app factory itself (no running server needed), with every
product switched on, as `reelforge serve` has by default. tests/unit/test_web_api_types.py
fails when web/openapi.json no longer matches, so run this after changing any route:

    scripts/gen-web-api.py            # dump + openapi-typescript (needs web/node_modules)
    scripts/gen-web-api.py --json     # dump only
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
OPENAPI_JSON = WEB / "openapi.json"


def live_openapi() -> dict[str, Any]:
    """The OpenAPI document of the app `reelforge serve` builds, every product switched on."""
    sys.path.insert(0, str(ROOT / "src"))
    from reelforge.api.products import PRODUCTS
    from reelforge.app import api_app, build_container
    from reelforge.settings import Settings

    with tempfile.TemporaryDirectory(prefix="rf-openapi-") as home:
        # Every product on, whatever the environment says: the studio has pages for all.
        settings = Settings(home=Path(home), sandbox=True, apps=",".join(PRODUCTS))
        container = build_container(settings)
        return api_app(container).openapi()


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    OPENAPI_JSON.write_text(render(live_openapi()), encoding="utf-8")
    print(f"wrote {OPENAPI_JSON.relative_to(ROOT)}")
    if "--json" in argv:
        return 0
    cmd = ["npx", "--no-install", "openapi-typescript", "openapi.json", "-o", "src/api/schema.d.ts"]
    return subprocess.call(cmd, cwd=WEB)  # noqa: S603 (a fixed command line)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
