"""The layering of the house (docs/architecture.md), checked on the source itself.

``Tree`` parses every module of the project's packages with ``ast``: what each one imports
(also inside functions: a lazy import is still a dependency; not under ``if TYPE_CHECKING``)
and its string literals. ``check(tree)`` applies the rules below and returns the violations,
each saying which rule, where and what. tests/test_layering.py runs it on the repository and
on small synthetic trees, to show that every rule fails when it is broken.
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("carbon", "simulation", "receivers", "gateway", "webui", "selfdata", "aggregator")

# What each top-level package may import from the project (besides itself).
MAY_IMPORT = {
    "carbon": set(),
    "simulation": {"carbon"},
    "receivers": {"carbon", "gateway.model"},
    "gateway": {"carbon", "receivers", "simulation"},
    "webui": {"carbon", "gateway"},
    "selfdata": {"gateway", "webui"},
    # The city's service stands alone: of the project it uses only the wire format, which
    # the box signs with (docs/aggregator.md).
    "aggregator": {"carbon.summary_wire", "carbon.summaries", "carbon.communes"},
}
# Packages held to the standard library alone; and the parts of it that are I/O, which the
# pure engine must not use either.
STDLIB_ONLY = {"carbon", "simulation"}
NO_IO = {"sqlite3", "asyncio", "socket", "subprocess", "threading", "multiprocessing",
         "concurrent", "urllib", "http", "ssl", "shutil", "tempfile", "os", "pathlib",
         "select", "selectors"}
# Only the demo runs a simulated household on the box.
SIMULATION_USERS = ("gateway.demo",)
# Inside gateway/: what each package may import of the others (docs/architecture.md).
_BASE = {"gateway", "gateway.config", "gateway.model", "gateway.said", "gateway.lazy"}
GATEWAY_INSIDE = {
    "gateway.store": _BASE | {"gateway.store"},
    "gateway.accounts": _BASE | {"gateway.store", "gateway.accounts"},
    "gateway.ingest": _BASE | {"gateway.store", "gateway.accounts", "gateway.ingest"},
    "gateway.trips": _BASE | {"gateway.store", "gateway.accounts", "gateway.trips"},
    "gateway.queries": _BASE | {"gateway.store", "gateway.accounts", "gateway.trips",
                                "gateway.queries"},
    "gateway.portability": _BASE | {"gateway.store", "gateway.accounts", "gateway.trips",
                                    "gateway.queries", "gateway.portability"},
    # The city link reads what it sends through the read side, never the trip engine's tables.
    "gateway.outbox": _BASE | {"gateway.store", "gateway.accounts", "gateway.queries",
                               "gateway.outbox"},
    # Backups, restore and upgrade copy the store's file and the data directory whole.
    "gateway.backup": _BASE | {"gateway.store", "gateway.backup"},
    "gateway.announce": _BASE,
    # The box's CA and certificates: configuration only (the service and doctor use it).
    "gateway.tls": _BASE | {"gateway.tls"},
    # The doctor reads the backups' folder as backup/ names it (the age of the last one).
    "gateway.doctor": _BASE | {"gateway.store", "gateway.accounts", "gateway.tls",
                               "gateway.backup"},
}
# Nobody below the CLI imports it; only the CLI and the demo start the service.
IMPORTED_ONLY_BY = {
    "gateway.cli": ("gateway.cli", "selfdata"),
    "gateway.service": ("gateway.cli", "gateway.demo"),
    "gateway.demo": ("gateway.cli",),
    "selfdata": ("selfdata",),
}
# Where no SQL may appear: pages and commands read through gateway.queries and act through
# the domain packages; the service only starts and stops; the engine and receivers never
# touch the store.
# Migrations may write any table, their own copies included (a rebuild copies rows).
MIGRATIONS = "gateway.store.migrations"
NO_SQL = ("webui", "gateway.cli", "gateway.service", "carbon", "receivers", "simulation",
          "selfdata")

# A string literal is SQL when it starts like a statement (upper-case keywords: the
# project's style), or holds a statement's unmistakable shape in any case.
_SQL_START = re.compile(
    r"^\s*\(?\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|VACUUM|"
    r"WITH\s+\w+\s+AS)\b")
_SQL_SHAPES = [re.compile(p, re.I) for p in (
    # a table name, or an f-string's {placeholder} standing for one
    r"\bselect\b[\s\S]+?\bfrom\s+[\w\"{][\s\S]*?\b(where|join|order\s+by|group\s+by|limit)\b",
    r"\bselect\s+(\*|count\(|max\(|min\(|sum\(|total\(|1\b)[\s\S]*\bfrom\s+[\w{]",
    r"\binsert\s+(or\s+\w+\s+)?into\s+[\w{]",
    r"\bdelete\s+from\s+[\w{]",
    r"\bupdate\s+[\w{][\w{}]*\s+set\s+\w+\s*=",
    r"\bon\s+conflict\b[\s\S]*\bdo\s+(update|nothing)\b",
    r"\b(create|drop)\s+(table|index|view|trigger)\b",
    r"\balter\s+table\s+\w+",
    r"\bPRAGMA\s+\w+",
)]
_WRITES = re.compile(r"\b(?:(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|DELETE\s+FROM)\s+"
                     r"([A-Za-z_]\w*)|UPDATE\s+(?:OR\s+\w+\s+)?([A-Za-z_]\w*)\s+SET\b)", re.I)
_EXECUTE = {"execute", "executemany", "executescript"}


def looks_like_sql(text: str) -> bool:
    return bool(_SQL_START.match(text)) or any(p.search(text) for p in _SQL_SHAPES)


def tables_written(text: str) -> set[str]:
    """Tables a SQL text writes by a literal name (``{table}`` placeholders are not names)."""
    if not looks_like_sql(text):
        return set()
    return {(m.group(1) or m.group(2)).lower() for m in _WRITES.finditer(text)}


@dataclass(frozen=True)
class Violation:
    rule: str
    where: str        # path:line
    what: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.rule}] {self.what}"


@dataclass
class Module:
    name: str
    path: Path
    rel: str                                        # the path from the tree's root
    is_package: bool
    imports: list = field(default_factory=list)     # (line, module name)
    strings: list = field(default_factory=list)     # (line, text), docstrings left out
    executes: list = field(default_factory=list)    # lines of .execute*(...) calls


class Tree:
    def __init__(self, root: Path, packages=PACKAGES):
        self.root = Path(root)
        self.modules: dict[str, Module] = {}
        for package in packages:
            for path in sorted((self.root / package).rglob("*.py")):
                parts = path.relative_to(self.root).with_suffix("").parts
                is_package = parts[-1] == "__init__"
                name = ".".join(parts[:-1] if is_package else parts)
                self.modules[name] = Module(name, path, str(path.relative_to(self.root)),
                                            is_package)
        for module in self.modules.values():
            self._read(module)

    def _read(self, module: Module) -> None:
        tree = ast.parse(module.path.read_text(), str(module.path))
        docstrings = _docstrings(tree)
        skipped = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if node in skipped:
                continue
            if isinstance(node, ast.Import):
                module.imports += [(node.lineno, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                module.imports += [(node.lineno, t) for t in self._targets(module, node)]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node not in docstrings:
                    module.strings.append((node.lineno, node.value))
            elif isinstance(node, ast.JoinedStr):     # f"DELETE FROM {table} WHERE ..."
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}"
                               for v in node.values)
                module.strings.append((node.lineno, text))
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in _EXECUTE):
                module.executes.append(node.lineno)

    def _targets(self, module: Module, node: ast.ImportFrom) -> list[str]:
        base = node.module or ""
        if node.level:
            package = module.name if module.is_package else module.name.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        # `from pkg import mod` depends on the module; `from mod import name` on mod.
        return [f"{base}.{a.name}" if f"{base}.{a.name}" in self.modules else base
                for a in node.names]

    def project(self, name: str) -> bool:
        return name.split(".")[0] in {m.split(".")[0] for m in self.modules}


def _docstrings(tree) -> set:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(body[0].value)
    return found


def _type_checking_nodes(tree) -> set:
    """Nodes under ``if TYPE_CHECKING:``: annotations only, never imported at run time."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                found.update(ast.walk(child))
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _top(name: str) -> str:
    return name.split(".")[0]


def check(tree: Tree) -> list[Violation]:
    out: list[Violation] = []
    for module in tree.modules.values():
        out += _check_imports(tree, module)
        out += _check_sql(module)
    out += _check_cycles(tree)
    return sorted(out, key=lambda v: (v.where, v.rule))


def _check_imports(tree: Tree, m: Module) -> list[Violation]:
    out = []
    top = _top(m.name)
    for line, target in m.imports:
        where = f"{m.rel}:{line}"
        if not tree.project(target):
            root = _top(target)
            if top in STDLIB_ONLY and root not in sys.stdlib_module_names and root != "__future__":
                out.append(Violation("stdlib only", where, f"{m.name} imports {target}"))
            elif top == "carbon" and root in NO_IO:
                out.append(Violation("no I/O in the engine", where, f"{m.name} imports {target}"))
            continue
        if _top(target) != top and not any(_within(target, p) for p in MAY_IMPORT.get(top, ())):
            out.append(Violation("layers", where, f"{m.name} may not import {target}"))
            continue
        if _within(target, "simulation") and top == "gateway" and not any(
                _within(m.name, u) for u in SIMULATION_USERS):
            out.append(Violation("simulation is the demo's", where,
                                 f"{m.name} imports {target}"))
        for prefix, allowed in GATEWAY_INSIDE.items():
            if _within(m.name, prefix) and _within(target, "gateway") and not any(
                    target == a or (a != "gateway" and _within(target, a)) for a in allowed):
                out.append(Violation("inside gateway", where, f"{m.name} may not import {target}"))
        for prefix, users in IMPORTED_ONLY_BY.items():
            if _within(target, prefix) and not any(_within(m.name, u) for u in users):
                out.append(Violation("imported only by", where,
                                     f"{target} is for {', '.join(users)}, not {m.name}"))
    return out


def _check_sql(m: Module) -> list[Violation]:
    out = []
    where = m.rel
    if any(_within(m.name, p) for p in NO_SQL):
        for line, text in m.strings:
            if looks_like_sql(text):
                out.append(Violation("no SQL here", f"{where}:{line}", _clip(text)))
        for line in m.executes:
            out.append(Violation("no SQL here", f"{where}:{line}", "calls .execute()"))
    if _top(m.name) == "gateway":
        out += _check_owners(m, where)
    return out


def _check_owners(m: Module, where: str) -> list[Violation]:
    from gateway.store.tables import OWNERS
    out = []
    if _within(m.name, MIGRATIONS):
        return out  # the schema's history: it creates, rebuilds and copies every table
    package = m.name.split(".")[1] if m.name.count(".") else ""
    for line, text in m.strings:
        for table in tables_written(text):
            owner = OWNERS.get(table)
            if owner is None:
                out.append(Violation("undeclared table", f"{where}:{line}",
                                     f"{table} is not in gateway.store.tables.OWNERS"))
            elif owner != package:
                out.append(Violation("owner writes", f"{where}:{line}",
                                     f"{m.name} writes {table}, which gateway.{owner} owns"))
    return out


def _check_cycles(tree: Tree) -> list[Violation]:
    """Strongly connected components of the import graph (Tarjan), one violation each."""
    graph = {name: sorted({t for _, t in m.imports if t in tree.modules and t != name})
             for name, m in tree.modules.items()}
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for v in graph:
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return [Violation("no import cycles", c[0], " -> ".join(c + [c[0]])) for c in found]


def _clip(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"
