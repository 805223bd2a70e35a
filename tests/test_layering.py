"""The layering of app/: no two parts import each other, and the policy core imports no area.

A "part" is a top-level module or package of app/ (app/policy.py, app/programmes/, …). Every
import counts, also those inside functions: a deferred import is still a dependency, and a
cycle hidden in a function is the one that bites when code moves. See docs/ARCHITECTURE.md
for what may import what.
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "app"

# The core: infrastructure every area may import, which imports no area.
CORE = {"policy", "extensions", "signals", "transaction", "timeutil", "versioning", "editing", "activity",
        "catalogue", "config", "logs", "errors", "i18n", "forms", "imports", "htmx", "formats"}
# Areas from the bottom up: each may import those before it, never one after it.
AREAS_BOTTOM_UP = ["orgs", "accounts", "collab", "programmes", "teachers", "visits", "selection", "mechanisms",
                   "exports", "dashboard"]
AREAS = set(AREAS_BOTTOM_UP)


def _part(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def imports_of(path, module, is_package):
    """(imported module, line) for every import in the file, relative ones resolved."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "app":  # from app import policy / from .. import policy, signals
                found += [(f"app.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((target, node.lineno))
    return found


def dependency_graph(root=ROOT):
    """{(from part, to part): ["file:line", …]} for imports between different parts of app/."""
    edges = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).with_suffix("")
        is_package = relative.name == "__init__"
        module = ".".join(relative.parts[:-1] if is_package else relative.parts)
        source = _part(module)
        for target, line in imports_of(path, module, is_package):
            if not target.startswith("app."):
                continue
            destination = _part(target)
            if destination != source:
                edges.setdefault((source, destination), []).append(f"{path.relative_to(root.parent)}:{line}")
    return edges


def cycles(edges):
    """Pairs of parts that import each other, with where."""
    return {(a, b): (edges[(a, b)], edges[(b, a)]) for (a, b) in edges if (b, a) in edges and a < b}


def test_no_two_parts_of_the_app_import_each_other():
    found = cycles(dependency_graph())
    assert not found, "parts that import each other: " + "; ".join(
        f"{a} ↔ {b} ({there[0]} / {back[0]})" for (a, b), (there, back) in sorted(found.items()))


def test_the_core_imports_no_area():
    edges = dependency_graph()
    upward = {(a, b): where for (a, b), where in edges.items() if a in CORE and b in AREAS}
    assert not upward, f"the core imports areas: {upward}"
    assert [b for (a, b) in edges if a == "policy"] == ["extensions"], "policy imports only the extensions"


def test_areas_import_only_areas_below_them():
    rank = {area: i for i, area in enumerate(AREAS_BOTTOM_UP)}
    upward = {(a, b): where[0] for (a, b), where in dependency_graph().items()
              if a in rank and b in rank and rank[b] > rank[a]}
    assert not upward, f"imports up the layers (docs/ARCHITECTURE.md): {upward}"


# The top: the app factory, the CLI, the demo, provisioning, template globals. It may import
# anything; nothing in an area or the core imports it.
TOP = {"app", "cli", "demo", "provisioning", "ui", "security", "backup", "models"}


def test_nothing_below_imports_the_top():
    upward = {(a, b): where[0] for (a, b), where in dependency_graph().items()
              if (a in AREAS or a in CORE) and b in TOP}
    assert not upward, f"areas or core import the top: {upward}"


def test_every_part_is_classified():
    """A new top-level module is placed deliberately: core, area, or the top."""
    top = TOP
    parts = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()
             if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())) and p.stem != "__init__"}
    assert parts - CORE - AREAS - top == set()


def test_the_checker_finds_a_cycle(tmp_path):
    """The checker itself: two packages that import each other, one of them inside a function."""
    app = tmp_path / "app"
    for name, body in (("one", "from ..two import thing\n"), ("two", "def f():\n    from ..one import x\n")):
        (app / name).mkdir(parents=True)
        (app / name / "__init__.py").write_text("")
        (app / name / "services.py").write_text(body)
    assert set(cycles(dependency_graph(app))) == {("one", "two")}
