"""Answer-only causal-LM cross-entropy computed in chunks from the hidden states.

A plain ``LlamaForCausalLM`` forward projects *every* position onto the vocabulary (128,256 logits
per token for Llama-3) and upcasts them to float32 before the loss, although only the answer
positions carry a label. Here the hidden states are first gathered at the positions that have a
target, then projected chunk by chunk; the gradient with respect to the hidden states (and the
output weight, when it trains) is computed during the forward pass, so no chunk's logits outlive
its iteration and nothing is recomputed in the backward pass.

The value is the one of ``transformers``' ``ForCausalLMLoss``: logits in the compute dtype,
upcast to float32, targets shifted by one, ``ignore_index`` skipped, mean over the counted
targets (or sum divided by ``num_items_in_batch`` when given, as the Trainer does under gradient
accumulation).
"""

from __future__ import annotations

from typing import Any

IGNORE_INDEX = -100
DEFAULT_CHUNK = 4096


def shift_labels(labels: Any, ignore_index: int = IGNORE_INDEX) -> Any:
    """HF convention: ``labels[..., t]`` is the token at t; the target of position t is t + 1."""
    import torch

    out = torch.full_like(labels, ignore_index)
    out[..., :-1] = labels[..., 1:]
    return out


def _ce_function():
    import torch

    class ChunkedLinearCrossEntropy(torch.autograd.Function):
        """sum_i CE(hidden_i @ weight.T + bias, target_i) * scale, gradients computed eagerly."""

        @staticmethod
        def forward(ctx, hidden, weight, bias, targets, chunk_size, scale):  # noqa: ANN001
            need_h, need_w, need_b = (
                ctx.needs_input_grad[0],
                ctx.needs_input_grad[1],
                (bias is not None and ctx.needs_input_grad[2]),
            )
            acc = torch.promote_types(hidden.dtype, torch.float32)  # float32, or float64 inputs
            total = torch.zeros((), dtype=acc, device=hidden.device)
            grad_h = torch.empty_like(hidden) if need_h else None
            grad_w = torch.zeros(weight.shape, dtype=acc, device=weight.device) if need_w else None
            grad_b = torch.zeros(bias.shape, dtype=acc, device=bias.device) if need_b else None
            for start in range(0, hidden.shape[0], chunk_size):
                h = hidden[start : start + chunk_size]
                t = targets[start : start + chunk_size]
                logits = torch.nn.functional.linear(h, weight, bias).to(acc)
                lse = torch.logsumexp(logits, dim=-1)
                total += (lse - logits.gather(1, t[:, None])[:, 0]).sum()
                if not (need_h or need_w or need_b):
                    continue
                # d(CE)/d(logits) = softmax - onehot, computed in place in the float32 buffer.
                probs = logits.sub_(lse[:, None]).exp_()
                probs[torch.arange(t.shape[0], device=t.device), t] -= 1.0
                probs.mul_(scale)
                if need_b:
                    grad_b += probs.sum(0)
                g = probs.to(h.dtype)
                if need_h:
                    grad_h[start : start + chunk_size] = g @ weight.to(h.dtype)
                if need_w:
                    grad_w += (g.t() @ h).to(acc)
            ctx.save_for_backward(
                grad_h if grad_h is not None else hidden.new_empty(0),
                grad_w.to(weight.dtype) if grad_w is not None else weight.new_empty(0),
                grad_b.to(bias.dtype) if grad_b is not None else hidden.new_empty(0),
            )
            return total * scale

        @staticmethod
        def backward(ctx, grad_out):  # noqa: ANN001
            grad_h, grad_w, grad_b = ctx.saved_tensors
            need_h, need_w, need_b = ctx.needs_input_grad[:3]
            return (
                grad_h * grad_out.to(grad_h.dtype) if need_h else None,
                grad_w * grad_out.to(grad_w.dtype) if need_w else None,
                grad_b * grad_out.to(grad_b.dtype) if need_b else None,
                None,
                None,
                None,
            )

    return ChunkedLinearCrossEntropy


_FN: Any = None


def chunked_linear_cross_entropy(
    hidden: Any,
    weight: Any,
    targets: Any,
    *,
    bias: Any = None,
    chunk_size: int = DEFAULT_CHUNK,
    reduction: str = "mean",
    num_items: Any = None,
) -> Any:
    """Cross-entropy of ``hidden @ weight.T`` (+ ``bias``) against ``targets``, in row chunks.

    ``hidden`` is (N, d) with every row counted (select the labelled rows first), ``weight``
    (V, d), ``targets`` (N,). ``reduction``: ``"mean"`` (over N, or over ``num_items`` when given)
    or ``"sum"``. With N == 0 the loss is an exact zero that still back-propagates (zeros).
    """
    global _FN
    import torch

    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    if _FN is None:
        _FN = _ce_function()
    if reduction == "sum":
        scale = 1.0
    else:
        denom = num_items if num_items is not None else hidden.shape[0]
        denom = float(denom.item() if isinstance(denom, torch.Tensor) else denom)
        scale = 1.0 / denom if denom > 0 else 0.0
    return _FN.apply(hidden, weight, bias, targets.long(), int(chunk_size), scale)


def causal_lm_loss(
    hidden_states: Any,
    labels: Any,
    weight: Any,
    *,
    bias: Any = None,
    num_items_in_batch: Any = None,
    ignore_index: int = IGNORE_INDEX,
    chunk_size: int = DEFAULT_CHUNK,
) -> Any:
    """Same value as ``transformers``' ``ForCausalLMLoss`` on ``lm_head(hidden_states)``.

    ``hidden_states`` (B, L, d) from the decoder's final norm, ``labels`` (B, L) unshifted (HF
    convention, ``ignore_index`` where no loss), ``weight``/``bias`` of the output layer. Only
    the positions whose next token is labelled are projected. Mean over the labelled targets, or
    sum / ``num_items_in_batch`` (the Trainer's gradient-accumulation normalisation).
    """
    targets = shift_labels(labels, ignore_index).reshape(-1)
    keep = (targets != ignore_index).nonzero(as_tuple=True)[0]
    flat = hidden_states.reshape(-1, hidden_states.shape[-1])
    return chunked_linear_cross_entropy(
        flat.index_select(0, keep),
        weight,
        targets.index_select(0, keep),
        bias=bias,
        chunk_size=chunk_size,
        reduction="mean",
        num_items=num_items_in_batch,
    )


def reference_causal_lm_loss(
    logits: Any, labels: Any, *, num_items_in_batch: Any = None, ignore_index: int = IGNORE_INDEX
) -> Any:
    """The plain loss on full logits (float32 upcast, shift, mean or sum / num_items)."""
    import torch

    targets = shift_labels(labels, ignore_index).reshape(-1)
    flat = logits.float().reshape(-1, logits.shape[-1])
    reduction = "sum" if num_items_in_batch is not None else "mean"
    loss = torch.nn.functional.cross_entropy(
        flat, targets, ignore_index=ignore_index, reduction=reduction
    )
    return loss / num_items_in_batch if num_items_in_batch is not None else loss
