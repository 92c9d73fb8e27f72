"""compmo-train's Hugging Face ``Trainer``: precomputed lengths or packed micro-batches, a count of
the tokens seen, and checkpoints that hold (and resume) the trainable weights only."""

from __future__ import annotations

import logging
import os
from typing import Any

from compmo_gen.core.errors import ConfigError

log = logging.getLogger(__name__)


def make_trainer_class() -> Any:
    """compmo-train's ``Trainer`` subclass (made on demand: transformers is a heavy import)."""
    from transformers import Trainer
    from transformers.trainer_pt_utils import LengthGroupedSampler

    class MotionTrainer(Trainer):
        """Length-grouped sampling from precomputed lengths; checkpoints hold trainable weights only."""

        def __init__(
            self,
            *args: Any,
            lengths: list[int] | None = None,
            batch_sampler: Any = None,
            **kwargs: Any,
        ) -> None:
            super().__init__(*args, **kwargs)
            self.lengths = lengths
            self.batch_sampler = batch_sampler  # packed micro-batches (fast path)
            self.tokens_seen = 0

        def _get_train_sampler(self, *args: Any, **kwargs: Any) -> Any:
            if self.lengths is not None:
                return LengthGroupedSampler(
                    self.args.train_batch_size * self.args.gradient_accumulation_steps,
                    lengths=self.lengths,
                )
            return super()._get_train_sampler(*args, **kwargs)

        def get_train_dataloader(self) -> Any:
            # Built here, not by Trainer: its check for `datasets.Dataset` breaks when a folder
            # named `datasets/` (as in this repository) sits in the working directory.
            from torch.utils.data import DataLoader

            if self.batch_sampler is not None:
                loader = DataLoader(
                    self.train_dataset,
                    batch_sampler=self.batch_sampler,
                    collate_fn=self.data_collator,
                    num_workers=self.args.dataloader_num_workers,
                    pin_memory=self.args.dataloader_pin_memory,
                    persistent_workers=self.args.dataloader_num_workers > 0,
                )
                return self.accelerator.prepare(loader)
            loader = DataLoader(
                self.train_dataset,
                batch_size=self._train_batch_size,
                sampler=self._get_train_sampler(),
                collate_fn=self.data_collator,
                num_workers=self.args.dataloader_num_workers,
                pin_memory=self.args.dataloader_pin_memory,
                drop_last=self.args.dataloader_drop_last,
                persistent_workers=self.args.dataloader_num_workers > 0,
            )
            return self.accelerator.prepare(loader)

        def training_step(self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any):
            mask = inputs.get("attention_mask")
            self.tokens_seen += int(mask.sum()) if mask is not None else int(inputs["num_tokens"])
            return super().training_step(model, inputs, *args, **kwargs)

        def _load_from_checkpoint(self, resume_from_checkpoint: str, model: Any = None) -> None:
            from safetensors.torch import load_file

            model = self.accelerator.unwrap_model(model or self.model)
            path = os.path.join(resume_from_checkpoint, "model.safetensors")
            if not os.path.isfile(path):
                raise ConfigError(f"{path}: no checkpoint weights to resume from")
            state = load_file(path)
            trainable = {n for n, p in model.named_parameters() if p.requires_grad}
            if set(state) != trainable:
                raise ConfigError(
                    f"{path}: checkpoint weights do not match this run's trainable ones"
                )
            model.load_state_dict(state, strict=False)
            log.info("resumed weights from %s", resume_from_checkpoint)

        def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
            from safetensors.torch import save_file

            output_dir = output_dir or self.args.output_dir
            if not self.args.should_save:
                return
            os.makedirs(output_dir, exist_ok=True)
            model = self.accelerator.unwrap_model(self.model)
            keep = {n for n, p in model.named_parameters() if p.requires_grad}
            state = state_dict if state_dict is not None else model.state_dict()
            state = {k: v.detach().cpu().contiguous() for k, v in state.items() if k in keep}
            save_file(
                state, os.path.join(output_dir, "model.safetensors"), metadata={"format": "pt"}
            )

    return MotionTrainer
