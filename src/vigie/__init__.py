"""Vigie: an open-source monitoring-centre platform."""
