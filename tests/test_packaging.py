"""`pip install .` (a wheel, not an editable install) works from any folder: data and templates travel inside."""

import subprocess
import sys
import zipfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_in_the_wheel_list():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sheetnet").rglob("__init__.py")}
    assert on_disk <= listed, f"add to pyproject.toml: {sorted(on_disk - listed)}"


def test_wheel_installs_into_a_fresh_venv_and_builds_from_any_folder(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = wheels.glob("sheetnet-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sheetnet/bundled/datasets/titanic/train.csv" in names and "sheetnet/bundled/templates/titanic.toml" in names
    venv = tmp_path / "venv"
    # the fresh venv sees this Python's packages (numpy, torch, ...) but gets sheetnet only from the wheel
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True)
    work = tmp_path / "anywhere"
    work.mkdir()
    where = subprocess.run([str(py), "-c", "import sheetnet; print(sheetnet.__file__)"], cwd=work, capture_output=True,
                           text=True, check=True).stdout
    assert str(venv) in where  # the installed copy, not this checkout
    r = subprocess.run([str(venv / "bin" / "sheetnet"), "build", "titanic"], cwd=work, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "712 rows (of 891 read)" in r.stdout and (work / "titanic.xlsx").exists()
    for lesson, rows in (("gd", "20 rows"), ("relu", "50 rows"), ("digits", "362 rows"), ("softmax", "536 rows"), ("collab", "173 rows"), ("conv", "536 rows")):
        r = subprocess.run([str(venv / "bin" / "sheetnet"), "build", lesson], cwd=work, capture_output=True, text=True)
        assert r.returncode == 0 and rows in r.stdout and (work / f"{lesson}.xlsx").exists(), r.stderr
    r = subprocess.run([str(venv / "bin" / "sheetnet"), "lessons"], cwd=work, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("titanic")
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["titanic", "collab", "conv", "digits", "gd", "relu", "softmax"]
