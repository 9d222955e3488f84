"""The aggregator stands alone: from the project it imports only the wire format; the wire
format stays standard library (the box on a Pi and the city need nothing else)."""
import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = {"carbon", "receivers", "gateway", "webui", "aggregator"}
AGGREGATOR_MAY_USE = {"carbon.summary_wire", "carbon.summaries"}


def imports(path: Path) -> set:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "carbon":
            out |= {f"carbon.{a.name}" for a in node.names}     # from carbon import summary_wire
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_the_aggregator_imports_only_the_wire_format_from_the_project():
    for path in (REPO / "aggregator").rglob("*.py"):
        for name in imports(path):
            top = name.split(".")[0]
            if top in PROJECT and top != "aggregator":
                assert name in AGGREGATOR_MAY_USE, f"{path.relative_to(REPO)} imports {name}"


def test_the_wire_format_is_standard_library_only():
    for name in ("summary_wire.py", "communes.py"):
        for module in imports(REPO / "carbon" / name):
            top = module.split(".")[0]
            assert top == "carbon" or top in sys.stdlib_module_names, f"carbon/{name} imports {module}"
