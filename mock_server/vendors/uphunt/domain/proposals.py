"""Deterministic cover letters for generate-proposal (no network, no model).

The same job, effort and agency always give the same text, so tests can
assert on it. The letter is built from what the job says (title, first
sentence of the description, skills, budget or rate range, duration) and is
signed by the agency member whose profile fits the job best. More effort
gives a longer, more structured letter, as a model would: ``low`` is a short
pitch, ``medium`` adds the job's own words and the budget, ``high`` adds an
approach plan and a scoping question.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .agency import Agency, Freelancer, Profile

EFFORTS = ("low", "medium", "high")

_OPENERS = ["Hi there,", "Hello,", "Hi, thanks for posting this."]
_CLOSERS = [
    "Happy to jump on a short call to confirm scope.",
    "I can start this week; let me know if you'd like a quick call first.",
    "Looking forward to hearing from you.",
]
_QUESTIONS = [
    "Is there an existing codebase or design I should look at first, or do we start from a blank page?",
    "What would make you call this project a success three months from now?",
    "Who will I work with day to day, and how do you prefer to get updates?",
]


@dataclass(frozen=True, slots=True)
class JobBrief:
    """What the letter is written from: an archived job, or a free-text title and description."""

    title: str
    description: str
    skills: tuple[str, ...] = ()
    job_type: str | None = None  # HOURLY | FIXED; None for free text
    budget: float | None = None
    hourly_min: float | None = None
    hourly_max: float | None = None
    duration: str | None = None


def pick_profile(agency: Agency, brief: JobBrief) -> tuple[Freelancer, Profile] | None:
    """The profile whose skills overlap the job most; ties (and no overlap) go to the agency's default."""
    wanted = {s.lower() for s in brief.skills}
    text = f"{brief.title} {brief.description}".lower()
    default = agency.default_profile()
    candidates = ([default] if default else []) + [(f, p) for f in agency.freelancers for p in f.profiles]

    def score(choice: tuple[Freelancer, Profile]) -> int:
        skills = [s.lower() for s in choice[1].skills]
        return sum(1 for s in skills if s in wanted or re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text))

    return max(candidates, key=score, default=None)  # max keeps the first of equal scores


def generate_cover_letter(brief: JobBrief, effort: str, signer: tuple[Freelancer, Profile] | None) -> str:
    """A plausible cover letter; ``effort`` is low, medium or high."""
    if effort not in EFFORTS:
        raise ValueError(f"reasoning effort must be one of {', '.join(EFFORTS)}")
    digest = hashlib.sha256(f"{brief.title}\n{brief.description}\n{effort}".encode()).digest()
    skills = list(brief.skills) or _skills_named_in(brief, signer)
    skill_text = _join(skills[:4]) if skills else "the stack you describe"
    name = signer[0].name if signer else "Your agency"
    parts = [
        _OPENERS[digest[0] % len(_OPENERS)],
        f'I read your post "{brief.title}" and it is a close match for work I do every week with {skill_text}.',
    ]
    if effort in ("medium", "high"):
        first = _first_sentence(brief.description)
        if first and first.lower() != brief.title.lower():
            parts.append(
                f'You mention: "{first}". I have delivered the same kind of result before, '
                "on time and with clear written updates."
            )
        money = _money_line(brief, signer)
        if money:
            parts.append(money)
    if effort == "high":
        parts.append(
            "How I would approach it:\n"
            '1. A short kick-off to confirm goals, constraints and what "done" means.\n'
            "2. A first working version early, so you can react to something real.\n"
            "3. Iterations on your feedback, then a clean hand-over with documentation."
        )
        if brief.duration:
            parts.append(f"The {brief.duration.lower()} timeline you suggest is realistic for this scope.")
        parts.append("One question before I start: " + _QUESTIONS[digest[2] % len(_QUESTIONS)])
    parts.append(_CLOSERS[digest[1] % len(_CLOSERS)])
    parts.append(f"Best regards,\n{name}")
    return "\n\n".join(parts)


def _skills_named_in(brief: JobBrief, signer: tuple[Freelancer, Profile] | None) -> list[str]:
    """For free text: the signer's skills that the title or description names."""
    if signer is None:
        return []
    text = f"{brief.title} {brief.description}".lower()
    return [s for s in signer[1].skills if re.search(rf"(?<!\w){re.escape(s.lower())}(?!\w)", text)]


def _first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s+|\n", text.strip(), maxsplit=1)[0].rstrip(".!? ")
    return sentence if len(sentence) <= 200 else sentence[:197].rsplit(" ", 1)[0] + "..."


def _money_line(brief: JobBrief, signer: tuple[Freelancer, Profile] | None) -> str | None:
    if brief.job_type == "HOURLY" and brief.hourly_min is not None and brief.hourly_max is not None:
        rate = signer[1].hourly_rate if signer else None
        if rate is not None and brief.hourly_min <= rate <= brief.hourly_max:
            return f"My rate of ${rate:g}/hr sits inside your ${brief.hourly_min:g}-${brief.hourly_max:g}/hr range."
        return f"I can work within your ${brief.hourly_min:g}-${brief.hourly_max:g}/hr range."
    if brief.job_type == "FIXED" and brief.budget:
        return f"The ${brief.budget:g} fixed budget works for the scope as described."
    return None


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
