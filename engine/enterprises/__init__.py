"""Enterprises and their ledgers (一企一账, 一事一单), visits and ratings."""
