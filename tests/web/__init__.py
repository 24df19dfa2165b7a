"""Tests of the web chat adapter and page."""
