"""Where the bundled templates and data live (the checkout's top-level folders)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
DATASETS = ROOT / "datasets"
