"""Imports point down the layers: wiring, then features and the clock, then core, then storage."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "core", "handlers", "scheduler", "storage")
WIRING = (
    "bot.app",
    "bot.__main__",
    "bot.migrate",
    "bot.demo",
)  # imports anything; imported by nothing
SKIPPED = ("storage/migrations/",)

# What each layer may import of ours: these modules and everything under them.
MAY_IMPORT = {
    "storage": ("storage",),
    "core": ("core", "storage"),
    "scheduler": ("scheduler", "core", "storage", "bot.config", "bot.slack"),
    # A command may ask the agenda builder for a preview.
    "handlers": (
        "handlers",
        "core",
        "storage",
        "bot.config",
        "bot.services",
        "bot.slack",
        "scheduler.agenda",
    ),
    # Settings, the Slack client and the listeners' services, which the layers above share.
    "bot": ("bot.config", "bot.slack", "bot.services", "core", "storage"),
}


def _module_of(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement reaches, relative ones made absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    return [f"{base}.{alias.name}" if base else alias.name for alias in node.names]


def _within(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(f"{m}.") for m in modules)


def wrong_way_imports(root: Path) -> list[str]:
    """`file:line: importer imports name` for every import of ours its layer may not make."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if path.relative_to(root).as_posix().startswith(SKIPPED):
                continue
            module = _module_of(root, path)
            if _within(module, WIRING):
                continue
            allowed = MAY_IMPORT[package]
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
            for node in sorted(imports, key=lambda n: n.lineno):
                names = _imported(module, path.name == "__init__.py", node)
                wrong = [
                    name for name in names if _within(name, PACKAGES) and not _within(name, allowed)
                ]
                if wrong:
                    where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                    found.append(f"{where}: {module} imports {', '.join(wrong)}")
    return found


def test_no_import_points_the_wrong_way() -> None:
    """No module imports a layer above its own, the layer beside it, or the wiring."""
    assert all((ROOT / package).is_dir() for package in PACKAGES)
    wrong = wrong_way_imports(ROOT)
    assert not wrong, "imports pointing the wrong way:\n" + "\n".join(wrong)


def test_the_checker_names_each_wrong_way_import(tmp_path: Path) -> None:
    """Module-level, function-level and relative imports that point the wrong way are named."""
    files = {
        "storage/x.py": "from storage import models\nfrom handlers.y import z\n",
        "storage/migrations/env.py": "import handlers\n",
        "core/c.py": "from core.text import escape\nfrom storage.models import Cadence\n",
        "scheduler/a.py": (
            "from bot.config import load_settings\n"
            "from core import blocks\n"
            "from . import due\n"
            "\n"
            "def run():\n"
            "    import handlers\n"
        ),
        "handlers/h/__init__.py": (
            "from scheduler.agenda import build_agenda\n"
            "from scheduler import agenda, delivery\n"
            "from . import views\n"
            "from bot.services import Services\n"
            "\n"
            "def preview():\n"
            "    from bot import app\n"
        ),
        "bot/config.py": "import json\nfrom . import app\n",
        "bot/app.py": "from handlers import h\nfrom scheduler.delivery import run_due\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    assert wrong_way_imports(tmp_path) == [
        "bot/config.py:2: bot.config imports bot.app",
        "handlers/h/__init__.py:2: handlers.h imports scheduler.delivery",
        "handlers/h/__init__.py:7: handlers.h imports bot.app",
        "scheduler/a.py:6: scheduler.a imports handlers",
        "storage/x.py:2: storage.x imports handlers.y.z",
    ]
