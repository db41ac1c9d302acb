"""Each person's notification centre (通知): what happened to them that they should see."""
