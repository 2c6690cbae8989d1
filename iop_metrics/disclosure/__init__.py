"""What an outside reader may see: small-cell suppression, one home, one model."""
