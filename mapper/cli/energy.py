"""``mapper energy``: an architecture's energy and area tables (ERT/ART), each number with the
estimator that supplied it; optionally written in Accelergy's ERT/ART format."""
from __future__ import annotations

import argparse

from .common import add_override_args, overrides_of, print_notes, write_file


def add_parser(sub) -> None:
    e = sub.add_parser("energy", help="the energy and area tables (ERT/ART) of an architecture",
                       description="Estimate every component's action energies and area, print "
                       "them with the estimator that supplied each number, and optionally write "
                       "them in Accelergy's ERT/ART format.")
    e.add_argument("files", nargs="+", metavar="YAML", help="ARCH.yaml [more YAML files]")
    e.add_argument("--energy-tables", action="append", default=[], metavar="DIR",
                   help="a directory of energy/area table files (repeatable)")
    e.add_argument("-o", "--output", metavar="ERT.yaml", help="write the ERT and ART here")
    add_override_args(e)
    e.set_defaults(func=cmd_energy)


def cmd_energy(args: argparse.Namespace) -> int:
    import yaml

    from energy import write_ert

    from .. import api
    from .output_paths import check_output_file
    if args.output:
        check_output_file(args.output)
    # only the components are priced: Timeloop's spatial layout rules are not needed
    # (Accelergy does not check them either); mapper model and search enforce them
    spec = api.load(args.files, need_mapping=False, need_workload=False,
                    energy_tables=args.energy_tables, overrides=overrides_of(args),
                    check_layout=False)
    print_notes(spec, energy_details=False)         # the report below gives them
    print(f"{spec.arch.name}: {spec.energy_source}")
    if spec.energy_report is not None:
        print(spec.energy_report.format())
    else:
        for comp, actions in spec.tables.energy_pJ.items():
            for action, e in actions.items():
                source = spec.tables.source.get((comp, action), "")
                print(f"{comp:<24} {action:<8} {e:.6g} pJ  ({source})")
    if args.output:
        instances = {lv.name: lv.instances for lv in (*spec.arch.storage, spec.arch.compute)}
        text = yaml.safe_dump(write_ert(spec.tables, prefix=spec.arch.name, instances=instances),
                              sort_keys=False)
        out = write_file(args.output, text)
        print(f"wrote {out} (Accelergy ERT and ART)")
    return 0
