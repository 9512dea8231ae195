#!/usr/bin/env python3
"""Static checks of the Odoo addons in this folder, without importing Odoo.

For each addon (a folder with __manifest__.py) next to this script's folder:
- every .py file compiles; every .xml file parses;
- the manifest has a bare x.y.z version (Odoo prefixes its own series, so one source installs
  on every supported series), lists files that exist, security files first;
- every view names a model of the addon, and every field, label, button method and group-by
  in it exists on that model (nested list/form views are checked against the comodel);
- actions name models of the addon, menus name actions and parents that exist;
- the access CSV names the addon's models (or known core ones) and groups that exist;
- nothing that one supported series (18, 19) refuses or deprecates (SERIES_TRAPS: <tree>,
  numbercall, res.groups category_id/users, search <group expand>, read_group, ...), and no
  forbidden habits: cr.commit(), machine paths.

Prints one line per problem and exits 1 if there is any.
"""

import ast
import csv
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every Odoo series the addon installs on, from one source.
SUPPORTED_SERIES = ("18.0", "19.0")
# Fields every model has, whatever it declares.
MAGIC_FIELDS = {"id", "display_name"}
# Core models and groups the addon may refer to by external id.
CORE_MODELS = {"base.model_ir_model": "ir.model", "base.model_ir_model_fields": "ir.model.fields"}
CORE_GROUPS = {"base.group_user", "base.group_system", "base.group_erp_manager", "base.group_no_one"}
# Models the addon's fields may point to that are not its own (their fields are not checked).
FIELD_TYPES_WITH_COMODEL = {"Many2one", "One2many", "Many2many"}
# Python that works on one supported series only: (pattern, why). Checked in every .py file.
SERIES_TRAPS_PY = (
    (re.compile(r"\bgroup_operator\s*="), "group_operator is deprecated since 18 (19 warns): use aggregator"),
    (re.compile(r"(?<![\w_])read_group\("), "read_group is deprecated in 19: use _read_group (18 and 19)"),
    (re.compile(r"\b_sql_constraints\s*="), "_sql_constraints is deprecated in 19 and models.Constraint is not in 18"),
    (re.compile(r"""["']groups_id["']"""), "res.users.groups_id is group_ids in 19: look the field up in _fields"),
    (re.compile(r"\buser_has_groups\("), "user_has_groups is gone since 18: use env.user.has_group"),
)
MACHINE_PATH = re.compile(r"(?<![\w.])/(work|tmp|root|home)/")

problems = []


def problem(path, message):
    problems.append(f"{path.relative_to(ROOT.parent) if path.is_absolute() else path}: {message}")


# --------------------------------------------------------------------------------- Python side


class ModelInfo:
    def __init__(self, name):
        self.name = name
        self.fields = {}  # name -> comodel or None
        self.methods = set()
        self.defined_here = False  # _name given (not only extended with _inherit)


def literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None


def read_models(addon):
    models = {}
    for path in sorted(addon.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        try:
            # compile() rather than py_compile: nothing is written next to the sources.
            compile(source, str(path), "exec")
        except SyntaxError as error:
            problem(path, f"does not compile: line {error.lineno}: {error.msg}")
            continue
        if "cr.commit()" in source:
            problem(path, "calls cr.commit(): never commit inside Odoo")
        if path.parent.name != "ci":
            for number, line in enumerate(source.splitlines(), 1):
                for pattern, why in SERIES_TRAPS_PY:
                    if pattern.search(line):
                        problem(path, f"line {number}: {why}")
        tree = ast.parse(source, str(path))
        for cls in [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]:
            name = None
            inherit = None
            body_fields = {}
            methods = set()
            for stmt in cls.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                    target = stmt.targets[0].id
                    if target == "_name":
                        name = literal(stmt.value)
                    elif target == "_inherit":
                        inherit = literal(stmt.value)
                    elif (
                        isinstance(stmt.value, ast.Call)
                        and isinstance(stmt.value.func, ast.Attribute)
                        and isinstance(stmt.value.func.value, ast.Name)
                        and stmt.value.func.value.id == "fields"
                    ):
                        comodel = None
                        if stmt.value.func.attr in FIELD_TYPES_WITH_COMODEL:
                            if stmt.value.args:
                                comodel = literal(stmt.value.args[0])
                            for keyword in stmt.value.keywords:
                                if keyword.arg == "comodel_name":
                                    comodel = literal(keyword.value)
                        body_fields[target] = comodel
                elif isinstance(stmt, ast.FunctionDef):
                    methods.add(stmt.name)
            model_name = name or (inherit if isinstance(inherit, str) else None)
            if not model_name:
                continue
            info = models.setdefault(model_name, ModelInfo(model_name))
            info.defined_here |= bool(name) and name != inherit
            info.fields.update(body_fields)
            info.methods |= methods
    return models


# --------------------------------------------------------------------------------- XML side

GROUP_BY = re.compile(r"""['"]group_by['"]\s*:\s*['"]([\w.]+)(?::\w+)?['"]""")


def check_arch(path, view_id, arch, model, models):
    """Walk a view's arch; nested views inside relational fields switch to the comodel."""

    def walk(element, model_name):
        info = models.get(model_name)
        for child in element:
            tag = child.tag
            if tag == "tree":
                problem(path, f"view {view_id}: <tree> is Odoo 16; Odoo 18 and 19 use <list>")
            if tag == "group" and element.tag == "search" and (child.get("expand") or child.get("string")):
                problem(path, f"view {view_id}: Odoo 19 refuses expand and string on a search view's <group>")
            for attribute in ("attrs", "states"):
                if child.get(attribute) is not None:
                    problem(path, f"view {view_id}: {attribute}= is gone since Odoo 17: use invisible/readonly expressions")
            if info is not None:
                if tag == "field" and child.get("name"):
                    fname = child.get("name")
                    if fname not in info.fields and fname not in MAGIC_FIELDS:
                        problem(path, f"view {view_id}: field {fname!r} does not exist on {model_name}")
                    comodel = info.fields.get(fname)
                    if len(child):
                        walk(child, comodel or "")
                    continue
                if tag == "label" and child.get("for") and child.get("for") not in info.fields:
                    problem(path, f"view {view_id}: label for {child.get('for')!r} is no field of {model_name}")
                if tag == "button" and child.get("type") == "object" and child.get("name") not in info.methods:
                    problem(path, f"view {view_id}: button method {child.get('name')!r} is not defined on {model_name}")
                if tag == "filter":
                    for group_by in GROUP_BY.findall(child.get("context") or ""):
                        if group_by not in info.fields and group_by not in MAGIC_FIELDS:
                            problem(path, f"view {view_id}: group-by on unknown field {group_by!r} of {model_name}")
                    date = child.get("date")
                    if date and date not in info.fields:
                        problem(path, f"view {view_id}: date filter on unknown field {date!r} of {model_name}")
            walk(child, model_name)

    walk(arch, model)


def read_xml(addon, models):
    """Check views, actions and menus; return (xml ids defined, group ids defined)."""
    defined = set()
    groups = set()
    menus = []
    for path in sorted(addon.rglob("*.xml")):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as error:
            problem(path, f"does not parse: {error}")
            continue
        text = path.read_text(encoding="utf-8")
        if "numbercall" in text:
            problem(path, "ir.cron has no numbercall in Odoo 18 and 19")
        for record in root.iter("record"):
            xml_id = record.get("id")
            defined.add(xml_id)
            record_model = record.get("model")
            values = {field.get("name"): field for field in record.findall("field")}
            if record_model == "res.groups.privilege":
                problem(path, f"record {xml_id}: Odoo 18 has no res.groups.privilege; create it in res.groups._webhook_sidecar_file_groups()")
            if record_model == "res.groups":
                groups.add(xml_id)
                for fname, why in (
                    ("category_id", "Odoo 19 has no res.groups.category_id (privileges)"),
                    ("users", "Odoo 19 renamed res.groups.users to user_ids"),
                    ("user_ids", "Odoo 18 has no res.groups.user_ids (users)"),
                    ("privilege_id", "Odoo 18 has no res.groups.privilege_id"),
                ):
                    if fname in values:
                        problem(path, f"group {xml_id}: {why}; set it in res.groups._webhook_sidecar_file_groups()")
            elif record_model == "ir.ui.view":
                view_model = (values.get("model").text or "").strip() if "model" in values else ""
                if view_model not in models:
                    problem(path, f"view {xml_id}: model {view_model!r} is not a model of the addon")
                    continue
                arch = values.get("arch")
                if arch is None or not len(arch):
                    problem(path, f"view {xml_id}: no arch")
                    continue
                check_arch(path, xml_id, arch, view_model, models)
            elif record_model == "ir.actions.act_window":
                res_model = (values.get("res_model").text or "").strip() if "res_model" in values else ""
                if res_model not in models:
                    problem(path, f"action {xml_id}: res_model {res_model!r} is not a model of the addon")
        for menu in root.iter("menuitem"):
            defined.add(menu.get("id"))
            menus.append((path, menu))
    for path, menu in menus:
        for attribute in ("action", "parent"):
            ref = menu.get(attribute)
            if ref and "." not in ref and ref not in defined:
                problem(path, f"menu {menu.get('id')}: {attribute} {ref!r} is not defined")
        for group in (menu.get("groups") or "").split(","):
            group = group.strip()
            if group and group.split(".")[-1] not in groups and group not in CORE_GROUPS:
                problem(path, f"menu {menu.get('id')}: group {group!r} is not defined")
    return defined, groups


def check_access_csv(addon, models, groups):
    path = addon / "security" / "ir.model.access.csv"
    if not path.exists():
        problem(path, "missing")
        return
    by_xml_id = {f"model_{name.replace('.', '_')}": name for name in models}
    covered = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            model_ref = row.get("model_id:id", "")
            group_ref = row.get("group_id:id", "")
            if model_ref in by_xml_id:
                covered.add(by_xml_id[model_ref])
            elif model_ref not in CORE_MODELS:
                problem(path, f"{row.get('id')}: model {model_ref!r} is not a model of the addon")
            local_group = group_ref.split(".", 1)[1] if group_ref.startswith(f"{addon.name}.") else group_ref
            if group_ref and local_group not in groups and group_ref not in CORE_GROUPS:
                problem(path, f"{row.get('id')}: group {group_ref!r} is not defined")
            for perm in ("perm_read", "perm_write", "perm_create", "perm_unlink"):
                if row.get(perm) not in ("0", "1"):
                    problem(path, f"{row.get('id')}: {perm} must be 0 or 1")
    for name in sorted({name for name, info in models.items() if info.defined_here} - covered):
        problem(path, f"model {name} has no access rule")


def check_manifest(addon):
    path = addon / "__manifest__.py"
    try:
        manifest = ast.literal_eval(path.read_text(encoding="utf-8"))
    except (ValueError, SyntaxError) as error:
        problem(path, f"is not a Python literal: {error}")
        return
    version = manifest.get("version", "")
    # Odoo ignores an addon whose version names another series ("invalid module names", 0
    # tests), and prefixes a bare x.y.z with its own: 1.2.0 is 18.0.1.2.0 on 18, 19.0.1.2.0 on 19.
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        series = " and ".join(SUPPORTED_SERIES)
        problem(path, f"version {version!r} is not x.y.z: a series-prefixed one installs on one series only, not {series}")
    data = manifest.get("data", [])
    for name in data:
        if not (addon / name).exists():
            problem(path, f"data file {name} does not exist")
    seen_other = False
    for name in data:
        if name.startswith("security/"):
            if seen_other:
                problem(path, f"{name}: security files come first in data")
        else:
            seen_other = True
    if not (addon / "static" / "description" / "icon.png").exists():
        problem(path, "static/description/icon.png is missing")
    for fragment in ("DESCRIPTION.md", "USAGE.md", "CONFIGURE.md"):
        if not (addon / "readme" / fragment).exists():
            problem(path, f"readme/{fragment} is missing")


def check_no_machine_paths(folder):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".xml", ".csv", ".md", ".sh", ".js", ".rst", ".txt"}:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if MACHINE_PATH.search(line) and "MACHINE_PATH" not in line:
                    problem(path, f"line {number} names a path of a machine: {line.strip()[:80]}")


def main():
    addons = sorted(path.parent for path in ROOT.glob("*/__manifest__.py"))
    if not addons:
        print(f"static checks: no addon found in {ROOT.name}/", file=sys.stderr)
        return 1
    for addon in addons:
        models = read_models(addon)
        if not models:
            problem(addon, "no model found")
        check_manifest(addon)
        _defined, groups = read_xml(addon, models)
        check_access_csv(addon, models, groups)
    check_no_machine_paths(ROOT)
    for line in problems:
        print(line)
    names = ", ".join(addon.name for addon in addons)
    if problems:
        print(f"static checks FAILED: {len(problems)} problem(s) in {names}")
        return 1
    print(f"static checks passed: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
