"""The layout docs/architecture.md draws, held: small modules, and no app reaching another from inside a function.

The layers themselves (each app imports only those below it) are import-linter's contract in pyproject.toml,
which `make test` checks before pytest.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "accounts", "profiles", "jobs", "search", "alerts", "photosearch")
MAX_LINES = 450


def app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
                yield path


def function_imports(tree: ast.AST):
    """(line, module) of each import made inside a function."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    yield from ((node.lineno, alias.name) for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    yield node.lineno, node.module


def test_every_app_has_modules_to_check():
    apps = {path.relative_to(ROOT).parts[0] for path in app_modules()}
    assert apps == set(APPS)


def test_no_app_module_is_longer_than_450_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in app_modules()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_function_imports_another_app():
    # A function-level import of another app is how a circle between apps hides: signals and
    # jobs.indexer are the way up, and an import at the top of the module the way down.
    reaching = []
    for path in app_modules():
        app = path.relative_to(ROOT).parts[0]
        for line, module in function_imports(ast.parse(path.read_text())):
            if module.split(".")[0] in APPS and module.split(".")[0] != app:
                reaching.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert reaching == []
