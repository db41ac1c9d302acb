"""督办 and 备案: what supervising roles and section heads see in their scope."""
