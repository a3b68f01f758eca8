"""A fleet: N jsksh machines behind an existing load balancer (docs/fleet.md).

`jsksh fleet up -n 4` starts four `jsksh boot` processes, each with the user
backend and a hostfwd from a free port on 127.0.0.1 to the guest's port 80,
then HAProxy (or nginx) on 127.0.0.1:8080 in front of them; `status`,
`deploy`, `kill` and `down` find them again through a JSON state file.
One module per job:

    state.py      the state file: where the fleet's processes and ports are
    processes.py  starting, finding and stopping a process the state names
    machines.py   the machines: their command lines, CPUs and ports; waiting for them
    balancer.py   the balancer: its configuration from a template, its process
    deploy.py     one file PUT to every machine at once
    command.py    the `jsksh fleet` subcommands (argparse and output)

The balancer is HAProxy's or nginx's own; its configuration is
haproxy.cfg.template or nginx.conf.template beside this file.
"""

# The service every machine starts at boot unless --service says otherwise:
# what the balancer sends requests to, on the guest's port 80: the invoker
# (apps/invoker.js), so `jsksh fleet deploy NAME FILE` has somewhere to go.
DEFAULT_SERVICE = "invoker"

# How many machines `fleet up -n` accepts: each is a process of its own with a
# V8 of its own (about 60 MiB resident), and the hostfwd ports are ours to find.
MAX_MACHINES = 16
