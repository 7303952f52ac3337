"""Agencies, their freelancers and profiles, and their Connects.

Connects are the agency's Upwork balance (UpHunt cannot buy them); every
account of the agency draws on the same balance. The agency's business
developer may be logged out for a while, during which submissions end in
``logged_out``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(slots=True)
class Profile:
    id: str
    name: str
    hourly_rate: float
    is_default: bool = False
    skills: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Freelancer:
    id: str
    name: str
    title: str
    hourly_rate: float
    country: str = "USA"
    job_success_score: float = 95.0
    is_business_developer: bool = False
    profiles: list[Profile] = field(default_factory=list)


@dataclass(slots=True)
class Agency:
    id: str
    connects: int
    freelancers: list[Freelancer] = field(default_factory=list)
    logged_out_until: float | None = None  # simulated Unix seconds
    next_pickup_slot: float = 0.0  # pacing: earliest time the next pickup may start

    def find_profile(self, profile_id: str) -> tuple[Freelancer, Profile] | None:
        for freelancer in self.freelancers:
            for profile in freelancer.profiles:
                if profile.id == profile_id:
                    return freelancer, profile
        return None

    def default_profile(self) -> tuple[Freelancer, Profile] | None:
        """The business developer's default profile (the fallback in How Auto-Apply Works), else the first default."""
        ordered = sorted(self.freelancers, key=lambda f: not f.is_business_developer)
        for freelancer in ordered:
            for profile in freelancer.profiles:
                if profile.is_default:
                    return freelancer, profile
        for freelancer in ordered:
            if freelancer.profiles:
                return freelancer, freelancer.profiles[0]
        return None

    def is_logged_out(self, now: float) -> bool:
        return self.logged_out_until is not None and now < self.logged_out_until


def agency_id_for(api_key: str) -> str:
    """The agency a new account gets when none is named: its own, with a stable id derived from the key."""
    return "agency_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def default_business_developer(agency_id: str) -> Freelancer:
    """The business developer every new agency starts with, with one default profile.

    Applies without a ``profileId`` use it (the documented fallback), so a freshly created
    account can apply at once instead of answering 422 "has no freelancer profile".
    """
    digits = str(int(hashlib.sha256(agency_id.encode()).hexdigest(), 16))[:16].rjust(16, "0")
    return Freelancer(
        id=f"~01bd{digits}",
        name="Business Developer",
        title=f"Business Developer at {agency_id}",
        hourly_rate=45.0,
        is_business_developer=True,
        job_success_score=100.0,
        profiles=[Profile(id=f"18{digits}0", name="General profile", hourly_rate=45.0, is_default=True)],
    )
