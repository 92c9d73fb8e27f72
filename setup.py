"""Optional C extensions, compiled at install time with Cython (metadata: pyproject.toml).

Each has a pure-Python twin giving the same results; where no C compiler is available the build
skips the extension (``optional=True``) and the Python code is used.
"""

from setuptools import Extension, setup


def _extensions() -> list:
    try:
        from Cython.Build import cythonize
    except ImportError:  # built without the build requirements: pure Python
        return []
    sources = {
        "evaluation.meteor_native._calign": "evaluation/meteor_native/_calign.pyx",
        "evaluation.meteor_native._csentence": "evaluation/meteor_native/_csentence.pyx",
        "evaluation._cciderd": "evaluation/_cciderd.pyx",
    }
    modules = [Extension(name, [path], optional=True) for name, path in sources.items()]
    return cythonize(modules, language_level=3, quiet=True)


setup(ext_modules=_extensions())
