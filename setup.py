"""Package discovery for the four top-level folders, which are the sub-packages of the one distribution ``parkabm``.

The folders sit at the repository's top level (``model/``, ``agents/``, ``scenarios/``, ``experiments/``) but install
as ``parkabm.model`` and so on. setuptools cannot discover packages under such a mapping from ``pyproject.toml``
alone, so this file finds them: every folder with an ``__init__.py`` below a top-level folder is a package. All other
metadata is in ``pyproject.toml``.
"""

from setuptools import find_packages, setup

TOP_LEVEL = ("model", "agents", "scenarios", "experiments")

setup(
    package_dir={f"parkabm.{top}": top for top in TOP_LEVEL},
    packages=[
        package
        for top in TOP_LEVEL
        for package in (f"parkabm.{top}", *(f"parkabm.{top}.{sub}" for sub in find_packages(top)))
    ],
)
