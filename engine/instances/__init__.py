"""One instance as a whole: its page and diagram."""
