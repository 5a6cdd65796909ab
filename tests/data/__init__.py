"""Test data: a small known register and the messy hand-kept customer list (see make_messy_customers.py)."""
