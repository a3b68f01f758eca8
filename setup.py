"""Packaging: the guest's tree travels inside the package.

The kernel (kernel/), the apps (apps/) and the root file tree (fs/) are
JavaScript and data, kept beside jsksh/ in the checkout so that the kernel's
paths read as they do in the image. A wheel (or `pip install .`, or pipx)
must carry them too: building copies them into the package as jsksh/tree/,
where jsksh/image.py looks when they are not beside it. Everything else is
in setup.cfg.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TREES = ("kernel", "apps", "fs")


class BuildWithTree(build_py):
    def run(self):
        super().run()
        here = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "jsksh" / "tree"
        for name in TREES:
            if not (here / name).is_dir():
                raise SystemExit(f"setup.py: {here / name} is missing: the package cannot boot without it")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(here / name, target / name, ignore=shutil.ignore_patterns(".*", "__pycache__"))


setup(cmdclass={"build_py": BuildWithTree})
