"""Imports run one way (docs/architecture.md, "Layers"), read from the source with `ast`, not by
importing it: an import inside a function counts as much as one at the top of a module, since it
runs too.

1. core is the ground: it imports no app of the project.
2. The generic apps (webhooks, notifications, audit) import no domain app and not config: they are
   told what to do and for whom.
3. No import cycle between modules, but the one a task queue needs: an app's `services` queues its
   own `tasks` (on commit), whose tasks call back into `services`.
"""

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = (
    "core",
    "config",
    "accounts",
    "ladder",
    "promotions",
    "notifications",
    "webhooks",
    "audit",
    "portal",
    "analytics",
)
# Every package of the repository (tests and bench too): core imports none of them.
PROJECT = tuple(sorted(path.parent.name for path in ROOT.glob("*/__init__.py")))
DOMAIN = ("ladder", "promotions", "accounts", "portal", "analytics", "config")
GENERIC = ("webhooks", "notifications", "audit")
# Cycles left in place (the modules of each), each with why. Keep it empty.
ALLOWED_CYCLES: set[frozenset[str]] = set()

Graph = dict[str, dict[str, int]]  # module -> {imported module of the project: first line}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_names(node: ast.AST, package: str) -> Iterable[str]:
    """The dotted names an import statement may load: `import a.b` gives a.b; `from a import b`
    gives a.b (a module, or a name in a) and a; relative imports resolved against `package`."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, base] if base else parts)
        for alias in node.names:
            yield f"{base}.{alias.name}"
        yield base


def _resolve(name: str, modules: set[str]) -> str | None:
    """The longest prefix of `name` that is a module of the project."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph(sources: dict[str, str], packages: set[str]) -> Graph:
    """Who imports whom, from the source text of each module (module name -> source);
    `packages` are those of the modules that are packages (an `__init__`)."""
    modules = set(sources)
    graph: Graph = {}
    for module, source in sources.items():
        package = module if module in packages else module.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = list(_imported_names(node, package))
            if isinstance(node, ast.ImportFrom):
                # `from a import b`: the module a.b if there is one, else the package a.
                names = [name for name in names[:-1] if name in modules] or names[-1:]
            for name in names:
                target = _resolve(name, modules)
                if target and target != module:
                    edges.setdefault(target, node.lineno)
        graph[module] = edges
    return graph


def project_graph() -> Graph:
    sources, packages = {}, set()
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            name = _module_name(path, ROOT)
            sources[name] = path.read_text()
            if path.name == "__init__.py":
                packages.add(name)
    for package in PROJECT:  # other packages (tests, bench): named, so core's imports of them count
        if package not in APPS:
            sources.setdefault(package, "")
            packages.add(package)
    return import_graph(sources, packages)


def _app(module: str) -> str:
    return module.split(".")[0]


def layer_violations(graph: Graph, apps: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    apps, forbidden = set(apps), set(forbidden)
    return [
        f"{module}:{line} imports {target}"
        for module, edges in sorted(graph.items())
        if _app(module) in apps
        for target, line in sorted(edges.items())
        if _app(target) in forbidden and _app(target) != _app(module)
    ]


def _allowed(modules: frozenset[str]) -> bool:
    """The task-queue pair (an app's services module and its tasks module, importing each other)
    or a cycle of the allow-list."""
    apps = {module.rpartition(".")[0] for module in modules}
    names = {module.rpartition(".")[2] for module in modules}
    pair = len(apps) == 1 and names == {"services", "tasks"} and len(modules) == 2
    return pair or modules in ALLOWED_CYCLES


def _strongly_connected(graph: Graph) -> list[frozenset[str]]:
    """Tarjan's algorithm: the groups of modules each of which imports every other, transitively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[frozenset[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            groups.append(frozenset(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def _cycle_within(group: frozenset[str], graph: Graph) -> list[str]:
    """A shortest cycle through the group's first module, inside the group."""
    start = min(group)
    paths = {target: [start, target] for target in graph[start] if target in group}
    queue = list(paths)
    while start not in paths:
        module = queue.pop(0)
        for target in graph[module]:
            if target in group and target not in paths:
                paths[target] = [*paths[module], target]
                queue.append(target)
    return paths[start]


def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle (its modules in order, the first repeated at the end) for each group of modules
    that import one another, but the allowed ones."""
    return [
        _cycle_within(group, graph)
        for group in _strongly_connected(graph)
        if len(group) > 1 and not _allowed(group)
    ]


def describe(cycle: list[str], graph: Graph) -> str:
    return " -> ".join(
        f"{module} (line {graph[module][cycle[i + 1]]})" if i + 1 < len(cycle) else module
        for i, module in enumerate(cycle)
    )


# --- The project ---------------------------------------------------------------------------------


def test_core_imports_no_app():
    graph = project_graph()
    assert layer_violations(graph, ["core"], [p for p in PROJECT if p != "core"]) == []


def test_the_generic_apps_import_no_domain_app():
    graph = project_graph()
    assert layer_violations(graph, GENERIC, DOMAIN) == []


def test_nothing_imports_analytics():
    """analytics (people analytics: demographics) is a leaf: no other app imports it, so no
    desk, export, webhook or e-mail can reach a member's demographics. config's URLs and the
    apps registry load it; its data rights are registered with core.personal_data."""
    graph = project_graph()
    others = [app for app in APPS if app not in ("analytics", "config")]
    assert layer_violations(graph, others, ["analytics"]) == []
    importers = {
        module
        for module, edges in graph.items()
        if _app(module) == "config" and any(_app(target) == "analytics" for target in edges)
    }
    assert importers <= {"config.urls"}


def test_no_import_cycle_but_services_and_their_tasks():
    graph = project_graph()
    cycles = [describe(cycle, graph) for cycle in find_cycles(graph)]
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


# --- The checks themselves find what they look for ----------------------------------------------


def _graph(sources: dict[str, str]) -> Graph:
    return import_graph(sources, {name for name in sources if "." not in name})


def test_an_import_in_a_function_counts():
    graph = _graph(
        {
            "core": "",
            "core.roles": "def f():\n    from ladder.models import Member\n",
            "ladder": "",
            "ladder.models": "",
        }
    )
    assert layer_violations(graph, ["core"], ["ladder"]) == ["core.roles:2 imports ladder.models"]


def test_relative_and_package_imports_resolve():
    graph = _graph(
        {
            "webhooks": "",
            "webhooks.services": (
                "from . import tasks\nfrom ladder import roles\nimport promotions\n"
            ),
            "webhooks.tasks": "",
            "ladder": "",
            "ladder.roles": "",
            "promotions": "",
        }
    )
    assert graph["webhooks.services"] == {"webhooks.tasks": 1, "ladder.roles": 2, "promotions": 3}


def test_a_cycle_is_found_and_the_task_queue_pair_is_not_one():
    pair = {
        "a": "",
        "a.services": "def f():\n    from a.tasks import t\n",
        "a.tasks": "from a import services\n",
    }
    assert find_cycles(_graph(pair)) == []
    # The pair and a third module: a cycle, reported with the lines that close it.
    three = {**pair, "a.tasks": "from a import services\nimport a.selectors\n"}
    three["a.selectors"] = "from a.services import x\n"
    graph = _graph(three)
    assert find_cycles(graph) == [["a.selectors", "a.services", "a.tasks", "a.selectors"]]
    assert describe(find_cycles(graph)[0], graph) == (
        "a.selectors (line 1) -> a.services (line 2) -> a.tasks (line 2) -> a.selectors"
    )
    mutual = {"b": "", "b.one": "from b import two\n", "b.two": "def f():\n    import b.one\n"}
    assert find_cycles(_graph(mutual)) == [["b.one", "b.two", "b.one"]]
