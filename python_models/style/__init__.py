"""Radiologist style profiles."""
