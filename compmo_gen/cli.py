"""`compmo-gen`: build, check and export CompMo-style datasets."""

from __future__ import annotations

from collections.abc import Sequence

from compmo_gen.core.cli import Command, dispatch

#: Sub-command registry: name -> module with ``configure(parser)`` and ``run(args)``.
COMMANDS: dict[str, Command] = {
    "build": Command("compmo_gen.dataset.build_cli", "build a CompMo-style dataset"),
    "babel": Command(
        "compmo_gen.babel.cli",
        "H3D+BABEL dataset: BABEL frame labels on real HumanML3D motions",
    ),
    "validate": Command(
        "compmo_gen.dataset.validate_cli", "check a built dataset against its manifest"
    ),
    "stats": Command(
        "compmo_gen.dataset.stats_cli", "print and save the dataset card of a built dataset"
    ),
    "stage-json": Command(
        "compmo_gen.dataset.stage_json_cli", "regenerate or re-root DEMO stage-1/2/test JSON files"
    ),
    "render": Command(
        "compmo_gen.render.cli", "render a motion with its dense captions to .gif/.mp4/.png"
    ),
    "gallery": Command(
        "compmo_gen.render.gallery_cli", "static HTML gallery of animated GIFs with dense captions"
    ),
    "export-mesh": Command(
        "compmo_gen.render.mesh_cli", "skeleton as capsule meshes: animated .glb, .ply/.obj frames"
    ),
    "import-motion": Command(
        "compmo_gen.motion_import.cli",
        "BVH / SMPL-family parameters / joint arrays -> HumanML3D joints",
    ),
    "doctor": Command(
        "compmo_gen.doctor_cli", "check a HumanML3D (or AMASS-derived) folder; exit 2 if unusable"
    ),
    "smpl2joints": Command(
        "compmo_gen.sources.smpl_cli", "AMASS-style SMPL-H .npz folder -> HumanML3D-layout joints"
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch("compmo-gen", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
