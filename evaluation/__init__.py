"""Dense-captioning evaluation: the ActivityNet, SODA and Chapter-Llama protocols, fast."""
