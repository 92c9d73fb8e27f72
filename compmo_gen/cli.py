"""`compmo-gen`: build, check and export CompMo-style datasets."""

from __future__ import annotations

from collections.abc import Sequence

from compmo_gen.core.cli import Command, dispatch

#: Sub-command registry: name -> module with ``configure(parser)`` and ``run(args)``.
COMMANDS: dict[str, Command] = {
    "build": Command("compmo_gen.build_cli", "build a CompMo-style dataset"),
    "babel": Command(
        "compmo_gen.babel_cli",
        "H3D+BABEL dataset: BABEL frame labels on real HumanML3D motions",
    ),
    "validate": Command("compmo_gen.validate_cli", "check a built dataset against its manifest"),
    "stats": Command("compmo_gen.stats_cli", "print and save the dataset card of a built dataset"),
    "stage-json": Command(
        "compmo_gen.stage_json_cli", "regenerate or re-root DEMO stage-1/2/test JSON files"
    ),
    "render": Command(
        "compmo_gen.render_cli", "render a motion with its dense captions to .gif/.mp4/.png"
    ),
    "gallery": Command(
        "compmo_gen.gallery_cli", "static HTML gallery of animated GIFs with dense captions"
    ),
    "export-mesh": Command(
        "compmo_gen.mesh_cli", "skeleton as capsule meshes: animated .glb, .ply/.obj frames"
    ),
    "smpl2joints": Command(
        "compmo_gen.smpl_cli", "AMASS-style SMPL-H .npz folder -> HumanML3D-layout joints"
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch("compmo-gen", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
