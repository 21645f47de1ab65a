"""Packaging for portalctl. The version lives only in cli/portalctl/__init__.py."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'^__version__ = "([^"]+)"', (HERE / "cli/portalctl/__init__.py").read_text(), re.M)[1]

SERVER = ["fastapi>=0.115", "uvicorn>=0.30", "prometheus-client>=0.17"]
# `portalctl serve --db postgresql://...`: psycopg 3 (binary wheels: no compiler or libpq needed) and its pool, so
# a request borrows a connection instead of opening one.
POSTGRESQL = ["psycopg[binary]>=3.2", "psycopg-pool>=3.2"]

setup(
    name="portalctl",
    version=VERSION,
    description="One command line for customer-support portals: tickets, knowledge base and exports.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    package_dir={"": "cli"},
    packages=find_packages("cli"),
    package_data={"portalctl": ["data/*.json", "data/articles/*.md", "py.typed", "locale/*/LC_MESSAGES/*.mo"]},
    install_requires=[
        "click>=8.1",
        "requests>=2.31",
        "pyyaml>=6.0",
        "python-dotenv>=1.0",
        "openpyxl>=3.1",
        # platformdirs: the XDG/macOS/Windows data and config directories, done right.
        "platformdirs>=4.0",
        # keyring: secrets in the OS keychain where one works (a 0600 file otherwise).
        "keyring>=24",
        # filetype: attachment types are checked by magic bytes, not by name.
        "filetype>=1.2",
        # Pillow: an attached image must decode with its declared size (a renamed file or a decompression bomb
        # is refused); imported only when a file is attached.
        "pillow>=10",
        # snowballstemmer: Snowball's Spanish and English stemmers (pure Python), so a search for "contraseñas"
        # finds "contraseña"; loaded on the first search only (engine/stemming.py).
        "snowballstemmer>=2.2",
        # rich: renders knowledge-base Markdown readably in a terminal.
        "rich>=13",
        # markdown-it-py (rich reads Markdown with it too): `articles show --print -o html`, raw HTML escaped.
        "markdown-it-py>=3",
        # tzdata: IANA zones for business-hour calendars where the OS has none.
        "tzdata",
        # iso3166: the ISO 3166-1 country codes (self-contained, no data files) that notices aim at.
        "iso3166>=2",
    ],
    extras_require={
        # `portalctl serve`: FastAPI (routes, validation, OpenAPI) on uvicorn (ASGI server, graceful SIGTERM,
        # worker processes that are replaced when they die); prometheus-client: `serve --metrics`, the standard
        # exposition format, added up over worker processes (its multiprocess mode).
        "server": SERVER,
        "postgresql": POSTGRESQL,
        "test": [
            "pytest>=8",
            "pytest-xdist>=3",
            "ruff>=0.5",
            "mypy>=1.10",
            "types-PyYAML",
            "types-requests",
            *SERVER,
            *POSTGRESQL,
            # schemathesis: fuzzes the live server against its own /openapi.json.
            "schemathesis>=4,<5",
            # aiosmtpd: a real SMTP server on 127.0.0.1 that receives the mail the server sends (verification and reset
            # links, notifications).
            "aiosmtpd>=1.4",
            # hubspot-api-client (Apache-2.0): its models, generated from HubSpot's specs, judge the HubSpot
            # simulator's answers (tests/connectors/hubspot_sdk.py); HubSpot's spec files themselves are proprietary.
            "hubspot-api-client>=12,<13",
            # Babel: extracts the messages and builds the gettext catalogs (scripts/i18n.py); the completeness test
            # re-extracts them, and CLDR's Spanish dates and numbers judge the tables' formatting.
            "babel>=2.14",
            # openapi-core: judges what the connectors send and what the simulators answer against the facts of the
            # vendors' OpenAPI documents: Zendesk's Support API (tests/connectors/zendesk_oas.py, tests/vendor/zendesk/)
            # and Atlassian's JSM API (tests/connectors/jsm_openapi.py).
            "openapi-core>=0.23,<0.24",
            # jsonschema: WHMCS's and Freshdesk's documented answer shapes (tests/connectors/vendor_shapes.py).
            "jsonschema>=4.18",
        ],
    },
    entry_points={"console_scripts": ["portalctl = portalctl.cli:main"]},
    classifiers=[
        "Environment :: Console",
        "Programming Language :: Python :: 3",
        "Topic :: Office/Business",
    ],
)
