import os

import pytest

from sheetnet.crosscheck import libreoffice
from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.template import load_template

COURSE_LINEAR = [-0.054934, -0.013926, -0.512117, 0.048739, 0.352610, 0.182842, 0.030720, 0.096816, -0.483065,
                 0.694412]


@pytest.fixture(scope="session")
def template():
    return load_template("titanic")


@pytest.fixture(scope="session")
def titanic(template):
    return prepare(template)


@pytest.fixture(scope="session")
def lo():
    """LibreOffice Calc headless: the spreadsheet engine of record. Missing it is a failure, not a skip."""
    if not libreoffice.find():
        if os.environ.get("SHEETNET_ALLOW_NO_LIBREOFFICE"):
            pytest.skip("LibreOffice not installed and SHEETNET_ALLOW_NO_LIBREOFFICE is set")
        pytest.fail(f"LibreOffice is needed for these tests: run scripts/test, or {libreoffice.INSTALL_HINT}")
    with libreoffice.LibreOffice() as office:
        yield office
