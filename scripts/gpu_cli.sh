# The compmo commands for the GPU scripts, sourced by them: a device host runs the repository
# uninstalled (PYTHONPATH), so the console scripts of `pip install` are not there.
ev() { python3 -c 'import sys; from evaluation.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
gen() { python3 -c 'import sys; from compmo_gen.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
train() { python3 -c 'import sys; from modeling.cli import train_main; sys.exit(train_main(sys.argv[1:]))' "$@"; }
infer() { python3 -c 'import sys; from modeling.cli import infer_main; sys.exit(infer_main(sys.argv[1:]))' "$@"; }
