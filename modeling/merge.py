"""Merging a stage-2 run's LoRA weights into its LLM (``compmo-train merge``)."""

from __future__ import annotations

from pathlib import Path

from modeling.model import MERGED_DIR


def merge_run(run: str | Path, out: str | Path) -> Path:
    """Merge the LoRA weights into the LLM: ``out`` is a run folder that needs no PEFT.

    Both folders are checked before the model loads; ``out`` is written beside its place and
    renamed into it, so a failure never leaves a half-written folder."""
    import shutil

    from modeling.demo_prompt import PROMPT_FILE
    from modeling.model_cache import drop_gguf_quantization
    from modeling.staging import RUN_FILES, check_new_folder, check_run_folder, staged_folder

    run, out = check_run_folder(run, "RUN"), check_new_folder(out, "--out folder")
    from modeling.run_load import load_run

    model, tok, _ = load_run(run)  # merged in memory
    llm = model.llm
    if hasattr(llm, "merge_and_unload"):
        llm = llm.merge_and_unload()
    drop_gguf_quantization(llm)  # a GGUF base: its weights were dequantised on load
    with staged_folder(out, "--out folder") as tmp:
        llm.save_pretrained(str(tmp / MERGED_DIR), safe_serialization=True)
        tok.save_pretrained(str(tmp / MERGED_DIR))
        for name in RUN_FILES:
            shutil.copy2(run / name, tmp / name)
        if (run / PROMPT_FILE).is_file():  # an imported DEMO run's prompt and decoding
            shutil.copy2(run / PROMPT_FILE, tmp / PROMPT_FILE)
    return out
