"""Deterministic cover letters for generate-proposal (no network, no model).

The same job and effort always give the same text, so tests can assert on
it; more effort gives a longer, more structured letter, as a model would.
"""

from __future__ import annotations

import hashlib

_OPENERS = [
    "Hi there,",
    "Hello,",
    "Hi, thanks for posting this.",
]
_CLOSERS = [
    "Happy to jump on a short call to confirm scope.",
    "I can start this week; let me know if you'd like a quick call first.",
    "Looking forward to hearing from you.",
]


def generate_cover_letter(title: str, description: str, skills: list[str], effort: str, signature: str) -> str:
    digest = hashlib.sha256(f"{title}\n{description}\n{effort}".encode()).digest()
    opener = _OPENERS[digest[0] % len(_OPENERS)]
    closer = _CLOSERS[digest[1] % len(_CLOSERS)]
    skill_text = ", ".join(skills[:4]) if skills else "the stack you describe"
    first_sentence = description.strip().split(". ")[0].rstrip(".")
    parts = [
        opener,
        f"I read your post \"{title}\" and it is a close match for work I do every week with {skill_text}.",
    ]
    if effort in ("medium", "high"):
        parts.append(f"You mention: \"{first_sentence[:200]}\". I have delivered the same kind of result before, "
                     "on time and with clear written updates.")
    if effort == "high":
        parts.append(
            "How I would approach it:\n"
            "1. A short kick-off to confirm goals, constraints and what \"done\" means.\n"
            "2. A first working version early, so you can react to something real.\n"
            "3. Iterations on your feedback, then a clean hand-over with documentation."
        )
    parts.append(closer)
    parts.append(f"Best regards,\n{signature}")
    return "\n\n".join(parts)
