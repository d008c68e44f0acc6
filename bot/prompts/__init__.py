"""Daily engagement prompts: when they are due, which question, posting once, replies."""
