"""One prompt builder over the tokenizer's own chat template (Llama-3, ChatML, ...).

The conversation is rendered with ``tokenizer.apply_chat_template``; the prompt is split at the
``<motion>`` placeholder and the answer is what the template appends after the generation prompt
(the answer text plus the template's end-of-turn marker), so labels cover exactly the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compmo_gen.core.errors import PrerequisiteError
from compmo_gen.core.prompts import MOTION_PLACEHOLDER

#: Used only when a tokenizer has no chat template of its own (ChatML, as SmolLM2's).
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class PromptError(PrerequisiteError, ValueError):
    """The model's chat template cannot express the prompt (no placeholder, answer not a
    suffix...): a model the toolkit cannot use, reported in one line."""


@dataclass(frozen=True)
class EncodedPrompt:
    """Token ids around the motion placeholder, and of the answer (empty at inference)."""

    before: tuple[int, ...]
    after: tuple[int, ...]
    answer: tuple[int, ...]

    def text_length(self) -> int:
        return len(self.before) + len(self.after) + len(self.answer)


def _messages(system: str | None, user: str) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": user}]


def _template(tokenizer: Any, messages: list[dict[str, str]], generation: bool) -> str:
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": generation}
    if not getattr(tokenizer, "chat_template", None):
        kwargs["chat_template"] = FALLBACK_CHAT_TEMPLATE
    return tokenizer.apply_chat_template(messages, **kwargs)


def render_chat(
    tokenizer: Any, system: str | None, user: str, answer: str | None = None
) -> tuple[str, str]:
    """Return ``(prompt_text, answer_text)``; ``answer_text`` is ``""`` when ``answer`` is None."""
    msgs = _messages(system, user)
    prompt = _template(tokenizer, msgs, True)
    if answer is None:
        return prompt, ""
    full = _template(tokenizer, msgs + [{"role": "assistant", "content": answer}], False)
    if not full.startswith(prompt):
        raise PromptError(
            "the chat template does not render the answer as a suffix of the generation prompt"
        )
    return prompt, full[len(prompt) :]


def _ids(tokenizer: Any, text: str) -> tuple[int, ...]:
    if not text:
        return ()
    return tuple(tokenizer(text, add_special_tokens=False)["input_ids"])


def encode_prompt(
    tokenizer: Any, system: str | None, user: str, answer: str | None = None
) -> EncodedPrompt:
    """Tokenize a one-turn conversation whose user message holds ``<motion>`` exactly once."""
    if user.count(MOTION_PLACEHOLDER) != 1:
        raise PromptError(f"the user prompt must contain {MOTION_PLACEHOLDER} exactly once")
    prompt, answer_text = render_chat(tokenizer, system, user, answer)
    if prompt.count(MOTION_PLACEHOLDER) != 1:
        raise PromptError(f"the rendered prompt must contain {MOTION_PLACEHOLDER} exactly once")
    before, after = prompt.split(MOTION_PLACEHOLDER)
    return EncodedPrompt(
        _ids(tokenizer, before), _ids(tokenizer, after), _ids(tokenizer, answer_text)
    )
