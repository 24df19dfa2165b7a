"""What happens in a conversation, one module per concern."""
