"""One Odoo process for the benchmark of scenario 1 through Odoo's ORM (bench/.../OdooOrm.java).

    python3 orm_writes.py ODOO_SRC PROCESS PROCESSES -- <odoo-bin options: -d, --db_host, ...>

Loads the database's registry once, prints READY <Odoo version>, then obeys one command per line on stdin:

    seed N     create N partners (the harness sends it to one process, once), print SEEDED
    run S      for S seconds: write() one field of a res.partner as the admin user, then commit,
               as a user's edit does; print RESULT <writes> <seconds>
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
registry = Registry(dbname)


def say(line):
    print(line, flush=True)


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
        elif verb == "quit":
            break
