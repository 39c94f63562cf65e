"""Storage: the ports the rest of smsbot sees (`ports`), and their adapters (`sqlite`)."""
