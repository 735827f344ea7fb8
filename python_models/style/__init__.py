"""Radiologist style profiles: schema, store, learning, and the service postprocess calls."""

from python_models.style.profile import DEFAULT_PROFILE, ProfileError, StyleProfile, StyleRules
from python_models.style.service import StyleService

__all__ = ["DEFAULT_PROFILE", "ProfileError", "StyleProfile", "StyleRules", "StyleService"]
