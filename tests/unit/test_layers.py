"""import-linter really fails the build when a lower layer imports a higher one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_contracts_hold_on_the_real_tree(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "reelforge", src / "reelforge")
    result = _lint(src)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lower_layer_importing_higher_fails(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "reelforge", src / "reelforge")
    (src / "reelforge" / "domain" / "oops.py").write_text("import reelforge.api.app\n")
    (src / "reelforge" / "providers" / "oops.py").write_text("import reelforge.emulators\n")
    result = _lint(src)
    assert result.returncode != 0
    assert "reelforge.domain.oops -> reelforge.api.app" in result.stdout
    assert "BROKEN" in result.stdout
