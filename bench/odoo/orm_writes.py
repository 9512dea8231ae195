"""One Odoo process for the benchmark of scenario 1 through Odoo's ORM (bench/.../OdooOrm.java).

    python3 orm_writes.py ODOO_SRC PROCESS PROCESSES -- <odoo-bin options: -d, --db_host, ...>

Loads the database's registry once, prints READY <Odoo version>, then obeys one command per line on stdin:

    seed N     create N partners (the harness sends it to one process, once), print SEEDED
    run S      for S seconds: write() one field of a res.partner as the admin user, then commit,
               as a user's edit does; print RESULT <writes> <seconds>
    batch K S  for S seconds: repeat one batched operation K, each followed by a commit; print
               RESULT <operations> <seconds spent in them>. K is one of
               create500   create() of 500 partners in one call
               write500    write() of one value on 500 partners in one call
               confirm50   action_confirm() of a sale order with 50 lines (the order is created,
                           and committed, before each; only the confirm and its commit are timed)
               load1000    load() of 1,000 partners, as an import does
    quit       exit

Process PROCESS of PROCESSES writes only its own share of the partners, so concurrent processes
never wait for each other's row locks: what is measured is the ORM plus the commit.
"""
import sys
import time

odoo_src, proc, nproc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
odoo_args = sys.argv[sys.argv.index("--") + 1:]
sys.path.insert(0, odoo_src)

import odoo  # noqa: E402  (found through ODOO_SRC)
from odoo.modules.registry import Registry  # noqa: E402

odoo.tools.config.parse_config(odoo_args)
dbname = odoo.tools.config["db_name"]
if isinstance(dbname, list):  # Odoo 19 keeps -d as a list of names; 18 as one name
    dbname = dbname[0]
registry = Registry(dbname)


def say(line):
    print(line, flush=True)


def batch_operation(env, kind):
    """The operation K of `batch K S`: a function that does it once and returns nothing."""
    partners = env["res.partner"]
    if kind == "create500":
        return lambda: partners.create(
            [{"name": "Batch %d" % i, "email": "batch%d@example.com" % i} for i in range(500)])
    if kind == "write500":
        targets = partners.search([("name", "=like", "BatchW %")], order="id", limit=500)
        if len(targets) < 500:
            targets |= partners.create(
                [{"name": "BatchW %d" % i} for i in range(len(targets), 500)])
            env.cr.commit()
        # A value never written before (time in ns): an unchanged value is no change to capture.
        return lambda: targets.write({"phone": "+32 %d" % time.time_ns()})
    if kind == "load1000":
        def load():
            result = partners.load(
                ["name", "email"],
                [["Import %d" % i, "import%d@example.com" % i] for i in range(1000)])
            if not result.get("ids"):  # load() reports errors instead of raising them
                raise SystemExit("load() imported nothing: %s" % result.get("messages"))
        return load
    raise SystemExit("unknown batch operation %r" % kind)


def sale_order_with_lines(env, lines):
    """A draft sale order of the first Bench partner with `lines` lines of one service product."""
    product = env["product.product"].search([("default_code", "=", "BENCH")], limit=1)
    if not product:
        product = env["product.product"].create(
            {"name": "Bench service", "default_code": "BENCH", "type": "service", "list_price": 10})
    customer = env["res.partner"].search([("name", "=like", "Bench %")], order="id", limit=1)
    return env["sale.order"].create({
        "partner_id": customer.id,
        "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1 + i % 5})
                       for i in range(lines)],
    })


def run_batch(env, kind, seconds):
    """Repeats the operation, each followed by a commit, for `seconds`: (operations, seconds in them)."""
    operation = None if kind == "confirm50" else batch_operation(env, kind)
    operations, spent = 0, 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if kind == "confirm50":
            order = sale_order_with_lines(env, 50)
            env.cr.commit()  # creating the order is not what is measured
            operation = order.action_confirm
        start = time.perf_counter()
        operation()
        env.cr.commit()
        spent += time.perf_counter() - start
        operations += 1
    return operations, spent


with registry.cursor() as cr:
    admin = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}).ref("base.user_admin").id
    # The admin user, not the superuser: access rights are checked on every write, as for a user.
    env = odoo.api.Environment(cr, admin, {})
    cr.commit()  # idle between commands: the harness changes triggers on res_partner meanwhile
    say("READY %s" % odoo.release.version)
    for command in sys.stdin:
        verb, _, arg = command.strip().partition(" ")
        if verb == "seed":
            env["res.partner"].create([
                {"name": "Bench %d" % i, "email": "bench%d@example.com" % i} for i in range(int(arg))
            ])
            env.cr.commit()
            say("SEEDED")
        elif verb == "run":
            partners = env["res.partner"].search([("name", "=like", "Bench %")], order="id")[proc::nproc]
            if not partners:
                sys.exit("no partners named Bench ...: send seed first")
            writes = 0
            start = time.perf_counter()
            end = start + float(arg)
            while time.perf_counter() < end:
                # A value never written before (time in ns): an unchanged value is no change to capture.
                partners[writes % len(partners)].write({"phone": "+32 %d" % time.time_ns()})
                env.cr.commit()
                writes += 1
            say("RESULT %d %.3f" % (writes, time.perf_counter() - start))
        elif verb == "batch":
            kind, _, seconds = arg.partition(" ")
            operations, spent = run_batch(env, kind, float(seconds))
            say("RESULT %d %.3f" % (operations, spent))
        elif verb == "quit":
            break
