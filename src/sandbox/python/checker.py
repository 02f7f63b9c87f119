"""Static check of a transform module with Python's own parser, before anything runs.

Takes the limits of sandbox_limits.py as argv[1], reads {"code": str, "policy": {...}}
(config/sandbox-policy.json) as JSON on stdin and prints {"violations": [{"line", "column", "message"}]}. It gives fast, clear feedback;
it is not the security boundary (the OS sandbox is), so it aims at what generated code
plausibly does and at the well-known escape routes, not at completeness.
"""

import ast
import json
import string
import sys

from sandbox_limits import apply_limits
from sandbox_seccomp import install_job_filter

# Methods that look an attribute up by the name in their first argument (df.apply("to_csv")).
NAME_LOOKUP_METHODS = frozenset(("apply", "agg", "aggregate", "transform", "applymap", "pipe", "map"))
# Methods whose string argument pandas parses and evaluates as an expression.
EXPRESSION_METHODS = frozenset(("query", "eval"))
FORMAT_METHODS = frozenset(("format", "format_map"))


class Checker(ast.NodeVisitor):
    def __init__(self, policy):
        self.allowed_imports = frozenset(policy["allowed_imports"])
        self.forbidden_builtins = frozenset(policy["forbidden_builtins"])
        self.forbidden_attributes = frozenset(policy.get("forbidden_attributes", ()))
        self.forbidden_prefixes = tuple(policy.get("forbidden_attribute_prefixes", ()))
        self.allowed_exceptions = frozenset(policy.get("allowed_to_attributes", ()))
        self.entry_point = policy["entry_point"]
        self.violations = []

    def report(self, node, message):
        self.violations.append(
            {
                "line": getattr(node, "lineno", 0),
                "column": getattr(node, "col_offset", -1) + 1,
                "message": message,
            }
        )

    # -- names the policy forbids

    def attribute_problem(self, name):
        if name in self.allowed_exceptions:
            return None
        if name.startswith("__"):
            return f"dunder attribute '{name}' is not allowed"
        if name in self.forbidden_attributes:
            return f"attribute '{name}' is not allowed"
        for prefix in self.forbidden_prefixes:
            if name.startswith(prefix):
                if prefix == "_":
                    return f"private attribute '{name}' is not allowed"
                return f"attribute '{name}' is not allowed (no '{prefix}*' file or I/O methods)"
        return None

    def check_attribute(self, node, name):
        problem = self.attribute_problem(name)
        if problem:
            self.report(node, problem)

    def check_module(self, node, dotted):
        parts = dotted.split(".")
        if parts[0] not in self.allowed_imports:
            allowed = ", ".join(sorted(self.allowed_imports))
            self.report(node, f"import of '{dotted}' is not allowed (allowed: {allowed})")
            return
        for part in parts[1:]:
            self.check_attribute(node, part)

    # -- visitors

    def visit_Import(self, node):
        for alias in node.names:
            self.check_module(node, alias.name)

    def visit_ImportFrom(self, node):
        if node.level:
            self.report(node, "relative imports are not allowed")
            return
        self.check_module(node, node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.report(node, f"'from {node.module} import *' is not allowed")
            elif alias.name in self.forbidden_builtins:
                self.report(node, f"'{alias.name}' is not allowed")
            else:
                self.check_attribute(node, alias.name)

    def visit_Name(self, node):
        if node.id in self.forbidden_builtins:
            self.report(node, f"'{node.id}' is not allowed")
        elif node.id.startswith("__"):
            self.report(node, f"dunder name '{node.id}' is not allowed")

    def visit_Attribute(self, node):
        self.check_attribute(node, node.attr)
        self.generic_visit(node)

    def visit_MatchClass(self, node):
        # `case object(__class__=c)` reads an attribute without an Attribute node.
        for name in node.kwd_attrs:
            self.check_attribute(node, name)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute):
            first = node.args[0] if node.args else None
            if func.attr in EXPRESSION_METHODS:
                for keyword in node.keywords:
                    if keyword.arg == "expr":
                        first = keyword.value
                if first is not None:
                    self.check_expression_string(node, first)
            elif func.attr in NAME_LOOKUP_METHODS and first is not None and is_text(first):
                self.check_attribute(node, first.value)
            if func.attr in FORMAT_METHODS and is_text(func.value):
                self.check_format_string(node, func.value.value)
        self.generic_visit(node)

    # -- strings that pandas or str.format turn into attribute access

    def check_expression_string(self, node, arg):
        if is_text(arg):
            texts = [arg.value]
        elif isinstance(arg, ast.JoinedStr):
            texts = [part.value for part in arg.values if is_text(part)]
        else:
            return
        for text in texts:
            # pandas' @local and `backtick` syntax is not Python; neutralise it before parsing.
            cleaned = text.replace("@", " ").replace("`", " ")
            try:
                tree = ast.parse(cleaned.strip() or "None", mode="eval")
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                if "__" in text:
                    self.report(node, "dunder names are not allowed in query/eval expressions")
                continue
            for inner in ast.walk(tree):
                if isinstance(inner, ast.Attribute):
                    problem = self.attribute_problem(inner.attr)
                    if problem:
                        self.report(node, f"{problem} (in a query/eval expression)")
                elif isinstance(inner, ast.Name) and (
                    inner.id in self.forbidden_builtins or inner.id.startswith("__")
                ):
                    self.report(node, f"'{inner.id}' is not allowed (in a query/eval expression)")

    def check_format_string(self, node, text):
        try:
            fields = [field for _, field, _, _ in string.Formatter().parse(text) if field]
        except ValueError:
            return
        for field in fields:
            for part in field.replace("[", ".").replace("]", "").split(".")[1:]:
                if part.startswith("_") or part in self.forbidden_attributes:
                    self.report(node, f"format string reaches attribute '{part}'; this is not allowed")

    # -- the module as a whole

    def check_entry_point(self, tree):
        for node in tree.body:
            if isinstance(node, ast.AsyncFunctionDef) and node.name == self.entry_point:
                self.report(node, f"'{self.entry_point}' must be a regular function, not async")
                return
            if isinstance(node, ast.FunctionDef) and node.name == self.entry_point:
                args = node.args
                if not (args.posonlyargs or args.args or args.vararg):
                    self.report(node, f"'{self.entry_point}' must take the DataFrame as its first argument")
                return
        self.violations.append(
            {
                "line": 0,
                "column": 0,
                "message": f"no top-level function 'def {self.entry_point}(df)' is defined",
            }
        )


def is_text(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def check(code, policy):
    try:
        tree = ast.parse(code, filename="<your code>", mode="exec")
    except SyntaxError as exc:
        return [
            {
                "line": exc.lineno or 0,
                "column": exc.offset or 0,
                "message": f"{type(exc).__name__}: {exc.msg}",
            }
        ]
    except (ValueError, RecursionError, MemoryError) as exc:
        return [{"line": 0, "column": 0, "message": f"the code cannot be parsed: {type(exc).__name__}"}]
    checker = Checker(policy)
    try:
        checker.visit(tree)
    except RecursionError:
        return [{"line": 0, "column": 0, "message": "the code is nested too deeply to check"}]
    checker.check_entry_point(tree)
    return sorted(checker.violations, key=lambda v: (v["line"], v["column"]))


def main():
    apply_limits(json.loads(sys.argv[1]))
    # Parsing hostile text is all this process does; it needs no new process or socket.
    install_job_filter()
    # A pooled checker waits here, ready, for its one request.
    request = json.loads(sys.stdin.buffer.read())
    json.dump({"violations": check(request["code"], request["policy"])}, sys.stdout)


if __name__ == "__main__":
    main()
